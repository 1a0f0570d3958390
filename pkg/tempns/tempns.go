package tempns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RunLabel marks what a run makes (pods, temporary namespaces, bindings)
// with the run that made it, so the run can clean up after itself and a
// later run can sweep what an earlier one, killed, left behind.
const RunLabel = "must-gather.toolkit/run"

// ExpiresAnnotation on what a run makes (a temporary namespace, a service
// account, a cluster role binding) says when nothing of its run can be
// alive any more: a later run deletes it after that (what a run killed
// with SIGKILL left).
const ExpiresAnnotation = "must-gather.toolkit/expires"

// NewRunID returns a random run ID (8 hex digits).
func NewRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Name returns prefix plus a random suffix, as the API server completes a
// generateName. A run names what it makes itself, so that it can delete
// it even when it never heard the answer to its create (interrupted while
// the request was under way).
func Name(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Marks returns the labels and annotations that tie an object to its run
// and say when it expires.
func Marks(runID string, expires time.Time) (labels, annotations map[string]string) {
	return map[string]string{RunLabel: runID}, map[string]string{ExpiresAnnotation: expires.UTC().Format(time.RFC3339)}
}

// Create creates the temporary namespace name, labelled with the run and
// pod-security privileged (its pods are privileged or host-reaching),
// expiring at expires. The error is the API's as it is: callers classify
// it and say what they were doing.
func Create(ctx context.Context, cs kubernetes.Interface, name, runID string, expires time.Time) (*corev1.Namespace, error) {
	labels, annotations := Marks(runID, expires)
	labels["pod-security.kubernetes.io/enforce"] = "privileged"
	labels["pod-security.kubernetes.io/audit"] = "privileged"
	labels["pod-security.kubernetes.io/warn"] = "privileged"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	return cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
}

// expired says whether an object a run marked has expired at now: one
// without a readable expiry never does (it is not ours to judge).
func expired(m metav1.Object, now time.Time) (time.Time, bool) {
	exp, err := time.Parse(time.RFC3339, m.GetAnnotations()[ExpiresAnnotation])
	if err != nil || m.GetDeletionTimestamp() != nil {
		return exp, false
	}
	return exp, !now.Before(exp)
}

// SweepExpired deletes what earlier runs left and what has expired: their
// temporary namespaces (with everything in them), their cluster role
// bindings (a run in a namespace of the user's has no namespace to own
// them), and their service accounts in namespaces of the user's (the run's
// pods and role binding there are owned by it and go with it). It is best
// effort: a user who may not list or delete these leaves them to someone
// who may. logf, when set, hears each deletion.
func SweepExpired(ctx context.Context, cs kubernetes.Interface, logf func(format string, args ...any)) {
	now := time.Now()
	sel := metav1.ListOptions{LabelSelector: RunLabel}
	deleted := func(what string, exp time.Time) {
		if logf != nil {
			logf("deleted %s of an earlier run (expired %s)", what, exp.Format(time.RFC3339))
		}
	}
	if list, err := cs.CoreV1().Namespaces().List(ctx, sel); err == nil {
		for _, ns := range list.Items {
			if exp, ok := expired(&ns, now); ok {
				if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err == nil {
					deleted("namespace "+ns.Name, exp)
				}
			}
		}
	}
	if list, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel); err == nil {
		for _, b := range list.Items {
			if exp, ok := expired(&b, now); ok {
				if err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}); err == nil {
					deleted("cluster role binding "+b.Name, exp)
				}
			}
		}
	}
	if list, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceAll).List(ctx, sel); err == nil {
		background := metav1.DeletePropagationBackground
		for _, sa := range list.Items {
			if exp, ok := expired(&sa, now); ok {
				if err := cs.CoreV1().ServiceAccounts(sa.Namespace).Delete(ctx, sa.Name, metav1.DeleteOptions{PropagationPolicy: &background}); err == nil {
					deleted("service account "+sa.Namespace+"/"+sa.Name, exp)
				}
			}
		}
	}
}

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

// ExpiresAnnotation on a temporary namespace says when nothing of its run
// can be alive any more: a later run deletes it after that (the namespace
// of a run killed with SIGKILL).
const ExpiresAnnotation = "must-gather.toolkit/expires"

// NewRunID returns a random run ID (8 hex digits).
func NewRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Create creates a temporary namespace named generateName plus a random
// suffix, labelled with the run and pod-security privileged (its pods are
// privileged or host-reaching), expiring at expires. The error is the
// API's as it is: callers classify it and say what they were doing.
func Create(ctx context.Context, cs kubernetes.Interface, generateName, runID string, expires time.Time) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: generateName,
		Labels: map[string]string{
			RunLabel:                             runID,
			"pod-security.kubernetes.io/enforce": "privileged",
			"pod-security.kubernetes.io/audit":   "privileged",
			"pod-security.kubernetes.io/warn":    "privileged",
		},
		Annotations: map[string]string{ExpiresAnnotation: expires.UTC().Format(time.RFC3339)},
	}}
	return cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
}

// SweepExpired deletes the temporary namespaces of earlier runs that have
// expired. It is best effort: a user who may not list or delete namespaces
// leaves them to someone who may. logf, when set, hears each deletion.
func SweepExpired(ctx context.Context, cs kubernetes.Interface, logf func(format string, args ...any)) {
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: RunLabel})
	if err != nil {
		return
	}
	for _, ns := range list.Items {
		exp, err := time.Parse(time.RFC3339, ns.Annotations[ExpiresAnnotation])
		if err != nil || ns.DeletionTimestamp != nil || time.Now().Before(exp) {
			continue
		}
		if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err == nil && logf != nil {
			logf("deleted namespace %s of an earlier run (expired %s)", ns.Name, exp.Format(time.RFC3339))
		}
	}
}

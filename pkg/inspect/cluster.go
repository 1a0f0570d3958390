package inspect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// clusterStateTypes are the cluster-scoped types --cluster gathers (each
// object in its own file), when served.
var clusterStateTypes = []string{
	"nodes",
	"customresourcedefinitions.apiextensions.k8s.io",
	"apiservices.apiregistration.k8s.io",
	"mutatingwebhookconfigurations.admissionregistration.k8s.io",
	"validatingwebhookconfigurations.admissionregistration.k8s.io",
	"validatingadmissionpolicies.admissionregistration.k8s.io",
	"validatingadmissionpolicybindings.admissionregistration.k8s.io",
	"storageclasses.storage.k8s.io",
	"persistentvolumes",
	"csidrivers.storage.k8s.io",
	"csinodes.storage.k8s.io",
	"volumeattachments.storage.k8s.io",
	"certificatesigningrequests.certificates.k8s.io",
	"priorityclasses.scheduling.k8s.io",
	"runtimeclasses.node.k8s.io",
	"ingressclasses.networking.k8s.io",
	"clusterroles.rbac.authorization.k8s.io",
	"clusterrolebindings.rbac.authorization.k8s.io",
	"flowschemas.flowcontrol.apiserver.k8s.io",
	"prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
}

// SystemNamespaces are always gathered by --cluster.
var SystemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// gatherCluster is the whole-cluster default (--cluster).
func (in *inspector) gatherCluster(ctx context.Context) {
	openshift := false
	if co, err := in.cat.resolve("clusteroperators.config.openshift.io"); err == nil {
		openshift = true
		in.gatherAll(ctx, co, "")
	}
	for _, t := range clusterStateTypes {
		r, err := in.cat.resolve(t)
		if err != nil {
			continue // not served here: nothing to gather
		}
		in.gatherAll(ctx, r, "")
	}
	in.gatherNamespaces(ctx, in.clusterNamespaces(ctx, openshift), listed)
}

// gatherNamespaces gathers namespaces side by side, a few at a time (their
// pods' logs have their own bound); found as gatherNamespace takes it.
func (in *inspector) gatherNamespaces(ctx context.Context, names []string, found bool) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, in.cfg.Parallel/2))
	for _, ns := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			in.gatherNamespace(ctx, ns, found)
		})
	}
	wg.Wait()
}

// clusterNamespaces picks the namespaces --cluster gathers: all with -A;
// otherwise the system ones (and openshift-* on OpenShift) and every
// namespace with a failing pod.
func (in *inspector) clusterNamespaces(ctx context.Context, openshift bool) []string {
	want := map[string]bool{}
	var all []string
	err := in.pager(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return in.kube.CoreV1().Namespaces().List(ctx, opts)
	}).EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		ns, ok := obj.(*corev1.Namespace)
		if !ok {
			return fmt.Errorf("unexpected item type %T", obj)
		}
		all = append(all, ns.Name)
		return nil
	})
	if err != nil {
		in.record(describe("listing", resource{gvr: corev1.SchemeGroupVersion.WithResource("namespaces")}, "", "", err))
	}
	for _, ns := range all {
		switch {
		case in.cfg.AllNamespaces:
			want[ns] = true
		case openshift && (strings.HasPrefix(ns, "openshift-") || ns == "openshift"):
			want[ns] = true
		}
	}
	for _, ns := range SystemNamespaces {
		want[ns] = true
	}
	if !in.cfg.AllNamespaces {
		for ns := range in.failingPodNamespaces(ctx) {
			want[ns] = true
		}
	}
	out := make([]string, 0, len(want))
	for ns := range want {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// failingPodNamespaces lists the namespaces that hold a failing pod.
func (in *inspector) failingPodNamespaces(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	err := in.pager(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return in.kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, opts)
	}).EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return fmt.Errorf("unexpected item type %T", obj)
		}
		if Failing(pod) {
			out[pod.Namespace] = true
		}
		return nil
	})
	if err != nil {
		in.record(describe("listing", resource{gvr: corev1.SchemeGroupVersion.WithResource("pods")}, "", "", err))
	}
	return out
}

// Failing reports a pod that needs a look: failed or unknown, not yet
// running, a container waiting for a reason other than starting up, or a
// container that has restarted or ended with an error.
func Failing(p *corev1.Pod) bool {
	switch p.Status.Phase {
	case corev1.PodFailed, corev1.PodUnknown, corev1.PodPending:
		return true
	case corev1.PodSucceeded:
		return false
	}
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range list {
			if s.RestartCount > 0 {
				return true
			}
			if w := s.State.Waiting; w != nil && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
				return true
			}
			if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
				return true
			}
		}
	}
	return false
}

package mustgather

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var (
	clusterVersions  = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusterversions"}
	clusterOperators = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusteroperators"}
)

// summary is the short description of a cluster the client prints at the
// start and the end of a run, to paste into a support case: the server's
// version and the cluster's ID (OpenShift: the ClusterVersion's
// spec.clusterID; elsewhere the UID of the kube-system namespace, as tools
// commonly use), then on OpenShift the cluster version and the operators
// that are not well, elsewhere the nodes not Ready and the pods not
// running, counted. What cannot be read is said, not fatal.
func summary(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, openshift bool) []string {
	server := "unknown"
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		server = v.GitVersion
	} else {
		server = fmt.Sprintf("unknown (%v)", err)
	}
	if openshift {
		return openshiftSummary(ctx, dyn, server)
	}
	id := "unknown"
	if ns, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{}); err == nil {
		id = string(ns.UID)
	} else {
		id = fmt.Sprintf("unknown (%v)", err)
	}
	lines := []string{fmt.Sprintf("cluster: Kubernetes %s, cluster ID %s (kube-system's UID)", server, id)}
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		var notReady []string
		for _, n := range nodes.Items {
			if !nodeReady(&n) {
				notReady = append(notReady, n.Name)
			}
		}
		lines = append(lines, fmt.Sprintf("nodes: %d, not Ready: %d%s", len(nodes.Items), len(notReady), names(notReady)))
	} else {
		lines = append(lines, fmt.Sprintf("nodes: unknown (%v)", err))
	}
	// The server counts: a big cluster's pods are not all fetched.
	sel := "status.phase!=" + string(corev1.PodRunning) + ",status.phase!=" + string(corev1.PodSucceeded)
	if pods, err := cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: sel, Limit: 500}); err == nil {
		more := ""
		if pods.Continue != "" {
			more = " or more"
		}
		lines = append(lines, fmt.Sprintf("pods not running (pending, failed, unknown): %d%s", len(pods.Items), more))
	} else {
		lines = append(lines, fmt.Sprintf("pods not running: unknown (%v)", err))
	}
	return lines
}

func openshiftSummary(ctx context.Context, dyn dynamic.Interface, server string) []string {
	id, version := "unknown", "unknown"
	if cv, err := dyn.Resource(clusterVersions).Get(ctx, "version", metav1.GetOptions{}); err == nil {
		if s, ok, _ := unstructured.NestedString(cv.Object, "spec", "clusterID"); ok {
			id = s
		}
		if s, ok, _ := unstructured.NestedString(cv.Object, "status", "desired", "version"); ok {
			version = s
		}
	} else {
		id = fmt.Sprintf("unknown (%v)", err)
	}
	lines := []string{fmt.Sprintf("cluster: OpenShift %s (Kubernetes %s), cluster ID %s", version, server, id)}
	cos, err := dyn.Resource(clusterOperators).List(ctx, metav1.ListOptions{})
	if err != nil {
		return append(lines, fmt.Sprintf("cluster operators: unknown (%v)", err))
	}
	bad := map[string][]string{} // condition -> operators
	for _, co := range cos.Items {
		conds, _, _ := unstructured.NestedSlice(co.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			typ, _ := m["type"].(string)
			status, _ := m["status"].(string)
			if (typ == "Degraded" || typ == "Progressing") && status == "True" || typ == "Available" && status == "False" {
				label := strings.ToLower(typ)
				if typ == "Available" {
					label = "unavailable"
				}
				bad[label] = append(bad[label], co.GetName())
			}
		}
	}
	lines = append(lines, fmt.Sprintf("cluster operators: %d", len(cos.Items)))
	for _, label := range []string{"degraded", "unavailable", "progressing"} {
		sort.Strings(bad[label])
		lines = append(lines, fmt.Sprintf("  %s: %d%s", label, len(bad[label]), names(bad[label])))
	}
	return lines
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// names lists up to ten names after a count.
func names(l []string) string {
	if len(l) == 0 {
		return ""
	}
	if len(l) > 10 {
		return " (" + strings.Join(l[:10], ", ") + ", ...)"
	}
	return " (" + strings.Join(l, ", ") + ")"
}

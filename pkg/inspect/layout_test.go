package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The paths readers of `oc adm inspect` output open; pinned here.
func TestLayout(t *testing.T) {
	t.Parallel()
	co := schema.GroupResource{Group: "config.openshift.io", Resource: "clusteroperators"}
	pods := schema.GroupResource{Resource: "pods"}
	deploy := schema.GroupResource{Group: "apps", Resource: "deployments"}
	got := []string{
		clusterObjectPath(co, "etcd"),
		clusterListPath(co),
		clusterObjectPath(schema.GroupResource{Resource: "nodes"}, "node-a"),
		namespacePath("openshift-etcd"),
		namespacedListPath("ns", pods),
		namespacedListPath("ns", deploy),
		namespacedObjectPath("ns", deploy, "web"),
		podPath("ns", "web-1"),
		logPath("ns", "web-1", "main", false),
		logPath("ns", "web-1", "main", true),
	}
	want := []string{
		"cluster-scoped-resources/config.openshift.io/clusteroperators/etcd.yaml",
		"cluster-scoped-resources/config.openshift.io/clusteroperators.yaml",
		"cluster-scoped-resources/core/nodes/node-a.yaml",
		"namespaces/openshift-etcd/openshift-etcd.yaml",
		"namespaces/ns/core/pods.yaml",
		"namespaces/ns/apps/deployments.yaml",
		"namespaces/ns/apps/deployments/web.yaml",
		"namespaces/ns/pods/web-1/web-1.yaml",
		"namespaces/ns/pods/web-1/main/main/logs/current.log",
		"namespaces/ns/pods/web-1/main/main/logs/previous.log",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}

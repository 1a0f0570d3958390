package inspect

import (
	"path"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The layout of `oc adm inspect`, in one place. Readers open these exact
// paths.

// groupDir is the directory of an API group: "core" for the legacy group.
func groupDir(group string) string {
	if group == "" {
		return "core"
	}
	return group
}

// clusterObjectPath: cluster-scoped-resources/<group>/<resource>/<name>.yaml.
func clusterObjectPath(gr schema.GroupResource, name string) string {
	return path.Join("cluster-scoped-resources", groupDir(gr.Group), gr.Resource, name+".yaml")
}

// clusterListPath: cluster-scoped-resources/<group>/<resource>.yaml.
func clusterListPath(gr schema.GroupResource) string {
	return path.Join("cluster-scoped-resources", groupDir(gr.Group), gr.Resource+".yaml")
}

// namespacePath: namespaces/<ns>/<ns>.yaml.
func namespacePath(ns string) string { return path.Join("namespaces", ns, ns+".yaml") }

// namespacedListPath: namespaces/<ns>/<group>/<resource>.yaml.
func namespacedListPath(ns string, gr schema.GroupResource) string {
	return path.Join("namespaces", ns, groupDir(gr.Group), gr.Resource+".yaml")
}

// namespacedObjectPath: namespaces/<ns>/<group>/<resource>/<name>.yaml.
func namespacedObjectPath(ns string, gr schema.GroupResource, name string) string {
	return path.Join("namespaces", ns, groupDir(gr.Group), gr.Resource, name+".yaml")
}

// podPath: namespaces/<ns>/pods/<pod>/<pod>.yaml.
func podPath(ns, pod string) string { return path.Join("namespaces", ns, "pods", pod, pod+".yaml") }

// logPath: namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log.
func logPath(ns, pod, container string, previous bool) string {
	name := "current.log"
	if previous {
		name = "previous.log"
	}
	return path.Join("namespaces", ns, "pods", pod, container, container, "logs", name)
}

// Root files of an inspect result.
const (
	timestampFile     = "timestamp"
	discoveryAPIFile  = "aggregated-discovery-api.yaml"
	discoveryAPIsFile = "aggregated-discovery-apis.yaml"
	eventFilterFile   = "event-filter.html"
)

package serve

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilversion "k8s.io/apimachinery/pkg/version"
)

// typeInfo is what is known of a resource before its objects are read:
// from the bundle's discovery documents and CRDs, else built in.
type typeInfo struct {
	version, kind, singular string
	namespaced              bool
	shortNames, categories  []string
	columns                 []column
}

// builtinTypes are the short names and categories kubectl users type, for
// a bundle without discovery documents (oc adm inspect's older ones).
func builtinTypes() map[schema.GroupResource]*typeInfo {
	all := []string{"all"}
	t := func(group, resource string, short []string, categories []string) (schema.GroupResource, *typeInfo) {
		return schema.GroupResource{Group: group, Resource: resource}, &typeInfo{shortNames: short, categories: categories}
	}
	known := map[schema.GroupResource]*typeInfo{}
	for _, r := range []struct {
		group, resource string
		short           []string
		categories      []string
	}{
		{"", "pods", []string{"po"}, all},
		{"", "services", []string{"svc"}, all},
		{"", "replicationcontrollers", []string{"rc"}, all},
		{"", "namespaces", []string{"ns"}, nil},
		{"", "nodes", []string{"no"}, nil},
		{"", "events", []string{"ev"}, nil},
		{"", "configmaps", []string{"cm"}, nil},
		{"", "endpoints", []string{"ep"}, nil},
		{"", "persistentvolumeclaims", []string{"pvc"}, nil},
		{"", "persistentvolumes", []string{"pv"}, nil},
		{"", "serviceaccounts", []string{"sa"}, nil},
		{"", "limitranges", []string{"limits"}, nil},
		{"", "resourcequotas", []string{"quota"}, nil},
		{"apps", "deployments", []string{"deploy"}, all},
		{"apps", "daemonsets", []string{"ds"}, all},
		{"apps", "replicasets", []string{"rs"}, all},
		{"apps", "statefulsets", []string{"sts"}, all},
		{"batch", "jobs", nil, all},
		{"batch", "cronjobs", []string{"cj"}, all},
		{"autoscaling", "horizontalpodautoscalers", []string{"hpa"}, all},
		{"networking.k8s.io", "ingresses", []string{"ing"}, nil},
		{"networking.k8s.io", "networkpolicies", []string{"netpol"}, nil},
		{"policy", "poddisruptionbudgets", []string{"pdb"}, nil},
		{"storage.k8s.io", "storageclasses", []string{"sc"}, nil},
		{"scheduling.k8s.io", "priorityclasses", []string{"pc"}, nil},
		{"apiextensions.k8s.io", "customresourcedefinitions", []string{"crd", "crds"}, nil},
		{"config.openshift.io", "clusteroperators", []string{"co"}, nil},
	} {
		gr, info := t(r.group, r.resource, r.short, r.categories)
		known[gr] = info
	}
	return known
}

// addCRD adds what a CustomResourceDefinition says of its resource: its
// kind, scope, names, served version and printer columns.
func addCRD(crd map[string]any, known map[schema.GroupResource]*typeInfo) {
	group, _, _ := unstructured.NestedString(crd, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd, "spec", "names", "plural")
	if plural == "" {
		return
	}
	info := &typeInfo{}
	info.kind, _, _ = unstructured.NestedString(crd, "spec", "names", "kind")
	info.singular, _, _ = unstructured.NestedString(crd, "spec", "names", "singular")
	info.shortNames, _, _ = unstructured.NestedStringSlice(crd, "spec", "names", "shortNames")
	info.categories, _, _ = unstructured.NestedStringSlice(crd, "spec", "names", "categories")
	scope, _, _ := unstructured.NestedString(crd, "spec", "scope")
	info.namespaced = scope != "Cluster"
	versions, _, _ := unstructured.NestedSlice(crd, "spec", "versions")
	var best string
	var bestColumns []any
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(m, "name")
		served, _, _ := unstructured.NestedBool(m, "served")
		if !served || (best != "" && compareVersions(name, best) <= 0) {
			continue
		}
		best = name
		bestColumns, _, _ = unstructured.NestedSlice(m, "additionalPrinterColumns")
	}
	info.version = best
	info.columns = crdColumns(bestColumns)
	known[schema.GroupResource{Group: group, Resource: plural}] = info
}

// compareVersions orders API versions as Kubernetes does (v2 > v1 >
// v1beta1) and other strings by their text.
func compareVersions(a, b string) int {
	return utilversion.CompareKubeAwareVersionStrings(a, b)
}

package clustertest

import (
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// crdFacts are the parts of a CRD that decide how the server serves it and
// how inspect finds it (by discovery: group, resource, kind, scope, short
// names).
type crdFacts struct {
	Name, Group, Scope, Kind, ListKind, Plural, Singular string
	ShortNames                                           []string
}

func factsOf(t *testing.T, crd *unstructured.Unstructured) crdFacts {
	t.Helper()
	str := func(path ...string) string {
		s, _, _ := unstructured.NestedString(crd.Object, append([]string{"spec"}, path...)...)
		return s
	}
	short, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "shortNames")
	return crdFacts{
		Name: crd.GetName(), Group: str("group"), Scope: str("scope"),
		Kind: str("names", "kind"), ListKind: str("names", "listKind"),
		Plural: str("names", "plural"), Singular: str("names", "singular"), ShortNames: short,
	}
}

func minimal(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	sub, err := fs.Sub(minimalCRDs, "crds")
	if err != nil {
		t.Fatal(err)
	}
	crds, err := readCRDs(sub, "crds")
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

// The minimal CRDs are the types the e2e tests use, served cluster-scoped
// in config.openshift.io v1 with a status subresource (a ClusterOperator's
// relatedObjects are set through it), with structural schemas.
func TestMinimalCRDs(t *testing.T) {
	t.Parallel()
	var got []crdFacts
	for _, crd := range minimal(t) {
		got = append(got, factsOf(t, crd))
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		if len(versions) != 1 {
			t.Fatalf("%s: %d versions, want 1", crd.GetName(), len(versions))
		}
		v, _ := versions[0].(map[string]any)
		if v["name"] != "v1" || v["served"] != true || v["storage"] != true {
			t.Errorf("%s: version %v %v %v, want v1 served and stored", crd.GetName(), v["name"], v["served"], v["storage"])
		}
		if _, ok, _ := unstructured.NestedMap(v, "subresources", "status"); !ok {
			t.Errorf("%s: no status subresource", crd.GetName())
		}
		schema, _, _ := unstructured.NestedMap(v, "schema", "openAPIV3Schema")
		for _, err := range structural(schema, "openAPIV3Schema") {
			t.Errorf("%s: %v", crd.GetName(), err)
		}
	}
	want := []crdFacts{
		{Name: "clusteroperators.config.openshift.io", Group: "config.openshift.io", Scope: "Cluster",
			Kind: "ClusterOperator", ListKind: "ClusterOperatorList", Plural: "clusteroperators", Singular: "clusteroperator", ShortNames: []string{"co"}},
		{Name: "infrastructures.config.openshift.io", Group: "config.openshift.io", Scope: "Cluster",
			Kind: "Infrastructure", ListKind: "InfrastructureList", Plural: "infrastructures", Singular: "infrastructure"},
		{Name: "proxies.config.openshift.io", Group: "config.openshift.io", Scope: "Cluster",
			Kind: "Proxy", ListKind: "ProxyList", Plural: "proxies", Singular: "proxy"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("minimal CRDs (-want +got):\n%s", diff)
	}
}

// structural reports schema nodes without a type (the apiserver refuses a
// CRD whose schema is not structural).
func structural(s map[string]any, at string) []error {
	var errs []error
	if _, ok := s["type"].(string); !ok {
		errs = append(errs, fmt.Errorf("%s has no type", at))
	}
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		m, _ := p.(map[string]any)
		errs = append(errs, structural(m, at+"."+name)...)
	}
	if items, ok := s["items"].(map[string]any); ok {
		errs = append(errs, structural(items, at+"[]")...)
	}
	return errs
}

// With OPENSHIFT_CRDS_DIR naming the real CRDs (from openshift/api), the
// minimal ones are served as they are: same names, group, scope, kinds.
func TestMinimalCRDsMatchUpstream(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("OPENSHIFT_CRDS_DIR")
	if dir == "" {
		t.Skip("OPENSHIFT_CRDS_DIR names no directory of the real CRDs")
	}
	real, err := readCRDs(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*unstructured.Unstructured{}
	for _, crd := range real {
		byName[crd.GetName()] = crd
	}
	for _, crd := range minimal(t) {
		up, ok := byName[crd.GetName()]
		if !ok {
			t.Errorf("%s is not among the CRDs of %s", crd.GetName(), dir)
			continue
		}
		if diff := cmp.Diff(factsOf(t, up), factsOf(t, crd)); diff != "" {
			t.Errorf("%s (-upstream +minimal):\n%s", crd.GetName(), diff)
		}
	}
}

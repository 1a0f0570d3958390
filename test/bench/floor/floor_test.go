package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/restmapper"
)

func TestPickTypes(t *testing.T) {
	t.Parallel()
	list := []string{"get", "list", "watch"}
	groups := []*restmapper.APIGroupResources{
		{
			Group: metav1.APIGroup{Name: "", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{"v1": {
				{Name: "pods", Namespaced: true, Verbs: list},
				{Name: "pods/log", Namespaced: true, Verbs: []string{"get"}},
				{Name: "nodes", Namespaced: false, Verbs: list},
				{Name: "bindings", Namespaced: true, Verbs: []string{"create"}},
				{Name: "events", Namespaced: true, Verbs: list},
			}},
		},
		{
			Group:              metav1.APIGroup{Name: "events.k8s.io", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{"v1": {{Name: "events", Namespaced: true, Verbs: list}}},
		},
		{
			Group: metav1.APIGroup{Name: "bench.mgtk.io", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{
				"v1":      {{Name: "widgets", Namespaced: true, Verbs: list}},
				"v1beta1": {{Name: "widgets", Namespaced: true, Verbs: list}, {Name: "gadgets", Namespaced: true, Verbs: list}},
			},
		},
	}
	want := []schema.GroupVersionResource{
		{Group: "", Version: "v1", Resource: "events"},
		{Group: "", Version: "v1", Resource: "pods"},
		{Group: "bench.mgtk.io", Version: "v1", Resource: "widgets"},
	}
	if diff := cmp.Diff(want, pickTypes(groups)); diff != "" {
		t.Errorf("pickTypes (-want +got):\n%s", diff)
	}
}

func TestListPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		gvr  schema.GroupVersionResource
		want string
	}{
		{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "/api/v1/namespaces/ns1/configmaps"},
		{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "/apis/apps/v1/namespaces/ns1/deployments"},
	}
	for _, tt := range tests {
		if got := listPath(tt.gvr, "ns1"); got != tt.want {
			t.Errorf("listPath(%v) = %q, want %q", tt.gvr, got, tt.want)
		}
	}
}

func TestParseRefusesUsageErrors(t *testing.T) {
	t.Parallel()
	var o options
	err := o.parse([]string{"--parallel", "0", "--chunk-size", "0"})
	if err == nil {
		t.Fatal("no error for no namespace, --parallel 0 and --chunk-size 0")
	}
	for _, want := range []string{"namespace", "--parallel", "--chunk-size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

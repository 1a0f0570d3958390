package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want Place
		ok   bool
	}{
		{"namespaces/a/core/pods.yaml", Place{Root: ".", Namespace: "a", Group: "core", Resource: "pods"}, true},
		{"x/namespaces/a/pods/p/p.yaml", Place{Root: "x", Namespace: "a", Group: "core", Resource: "pods"}, true},
		{"n/x/namespaces/a/apps/deployments/d.yaml", Place{Root: "n/x", Namespace: "a", Group: "apps", Resource: "deployments"}, true},
		{"namespaces/a/a.yaml", Place{Root: ".", Group: "core", Resource: "namespaces"}, true},
		{"cluster-scoped-resources/core/nodes.yaml", Place{Root: ".", Group: "core", Resource: "nodes"}, true},
		{"cluster-scoped-resources/core/nodes/n.yaml", Place{Root: ".", Group: "core", Resource: "nodes"}, true},
		// a namespace named like a layout folder
		{"namespaces/namespaces/core/pods.yaml", Place{Root: ".", Namespace: "namespaces", Group: "core", Resource: "pods"}, true},
		{"namespaces/a/pods/p/c/c/logs/current.log", Place{}, false},
		{"gather-manifest.json", Place{}, false},
	}
	for _, tt := range tests {
		got, ok := Locate(tt.path)
		if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
			t.Errorf("Locate(%q) = %v (-want +got):\n%s", tt.path, ok, diff)
		}
	}
}

package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    []target
		wantErr bool
	}{
		{name: "type", args: []string{"clusteroperators"}, want: []target{{resource: "clusteroperators"}}},
		{name: "type and names", args: []string{"co", "etcd", "dns"}, want: []target{{resource: "co", names: []string{"etcd", "dns"}}}},
		{name: "comma types", args: []string{"pods,deployments.v1.apps"}, want: []target{{resource: "pods"}, {resource: "deployments.v1.apps"}}},
		{name: "type/name", args: []string{"clusteroperator/etcd", "ns/a,ns/b"}, want: []target{
			{resource: "clusteroperator", names: []string{"etcd"}},
			{resource: "ns", names: []string{"a"}},
			{resource: "ns", names: []string{"b"}},
		}},
		{name: "mixed forms", args: []string{"ns/a", "b"}, wantErr: true},
		{name: "empty name", args: []string{"ns/"}, wantErr: true},
		{name: "empty type", args: []string{"pods,,x"}, wantErr: true},
		{name: "nothing", args: nil, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseArgs(%q) error = %v, wantErr %v", tc.args, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(target{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

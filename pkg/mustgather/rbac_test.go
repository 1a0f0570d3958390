package mustgather

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// The shipped roles parse, and grant what the default gather needs and
// nothing to write outside pods: reading everything cluster-wide; creating,
// watching, exec'ing into and deleting pods in the run's namespace.
func TestGatherRoles(t *testing.T) {
	t.Parallel()
	roles, err := GatherRoles()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{ReadRole, DebugPodsRole}, names); diff != "" {
		t.Fatalf("roles (-want +got):\n%s", diff)
	}
	allows := func(r *rbacv1.ClusterRole, group, resource, verb string) bool {
		for _, rule := range r.Rules {
			if len(rule.ResourceNames) > 0 {
				continue
			}
			in := func(list []string, v string) bool { return slices.Contains(list, v) || slices.Contains(list, "*") }
			if in(rule.APIGroups, group) && in(rule.Resources, resource) && in(rule.Verbs, verb) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		role                  *rbacv1.ClusterRole
		group, resource, verb string
		want                  bool
	}{
		{roles[0], "apiextensions.k8s.io", "customresourcedefinitions", "list", true},
		{roles[0], "", "pods/log", "get", true},
		{roles[0], "", "nodes/proxy", "get", true},
		{roles[0], "", "secrets", "list", true},
		{roles[0], "", "pods", "create", false},
		{roles[0], "", "pods/exec", "create", false},
		{roles[0], "", "namespaces", "create", false},
		{roles[0], "", "secrets", "watch", false},
		{roles[1], "", "pods", "create", true},
		{roles[1], "", "pods", "watch", true},
		{roles[1], "", "pods", "deletecollection", true},
		{roles[1], "", "pods/exec", "create", true},
		{roles[1], "", "secrets", "get", false},
		{roles[1], "", "pods", "update", false},
		{roles[1], "", "namespaces", "delete", false},
	}
	for _, tc := range tests {
		if got := allows(tc.role, tc.group, tc.resource, tc.verb); got != tc.want {
			t.Errorf("%s allows %s %s.%s: %v, want %v", tc.role.Name, tc.verb, tc.resource, tc.group, got, tc.want)
		}
	}
}

// applyRole creates the role, leaves an equal one alone and brings an
// older one up to date.
func TestApplyRole(t *testing.T) {
	t.Parallel()
	roles, err := GatherRoles()
	if err != nil {
		t.Fatal(err)
	}
	want := roles[1]
	cs := fake.NewClientset()
	var did []string
	for range 2 {
		d, err := applyRole(t.Context(), cs, want)
		if err != nil {
			t.Fatal(err)
		}
		did = append(did, d)
	}
	old, err := cs.RbacV1().ClusterRoles().Get(t.Context(), want.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old.Rules = old.Rules[:1]
	if _, err := cs.RbacV1().ClusterRoles().Update(t.Context(), old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := applyRole(t.Context(), cs, want)
	if err != nil {
		t.Fatal(err)
	}
	did = append(did, d)
	if diff := cmp.Diff([]string{"created", "unchanged", "updated"}, did); diff != "" {
		t.Errorf("applyRole (-want +got):\n%s", diff)
	}
	got, err := cs.RbacV1().ClusterRoles().Get(t.Context(), want.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Rules, got.Rules); diff != "" {
		t.Errorf("rules after the update (-want +got):\n%s", diff)
	}
}

// Our image alone gets the least-privilege roles; any other image, or
// --all-images, cluster-admin; --cluster-role wins.
func TestClusterRoleChoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"ours", Options{OwnImage: "ours", Images: []string{"ours"}}, ReadRole},
		{"other", Options{OwnImage: "ours", Images: []string{"ours", "other"}}, "cluster-admin"},
		{"all images", Options{OwnImage: "ours", Images: []string{"ours"}, AllImages: true}, "cluster-admin"},
		{"given", Options{OwnImage: "ours", Images: []string{"other"}, ClusterRole: "view"}, "view"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := tc.o.clusterRole(); got != tc.want {
				t.Errorf("clusterRole() = %q, want %q", got, tc.want)
			}
		})
	}
}

package tempns

import (
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// Only what earlier runs left and whose time has passed is swept:
// namespaces, cluster role bindings and service accounts; a running run's,
// an unmarked one, one with a garbled expiry and objects that are not a
// run's stay.
func TestSweepExpired(t *testing.T) {
	t.Parallel()
	meta := func(name, namespace string, labels map[string]string, expires string) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
		if expires != "" {
			m.Annotations = map[string]string{ExpiresAnnotation: expires}
		}
		return m
	}
	run := map[string]string{RunLabel: "0123abcd"}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var objs []runtime.Object
	for _, c := range []struct {
		name    string
		labels  map[string]string
		expires string
	}{
		{"expired", run, past},
		{"running", run, future},
		{"unmarked", run, ""},
		{"garbled", run, "tomorrow"},
		{"other", nil, past},
	} {
		objs = append(objs,
			&corev1.Namespace{ObjectMeta: meta(c.name, "", c.labels, c.expires)},
			&rbacv1.ClusterRoleBinding{ObjectMeta: meta(c.name, "", c.labels, c.expires)},
			&corev1.ServiceAccount{ObjectMeta: meta(c.name, "users-ns", c.labels, c.expires)},
		)
	}
	cs := fake.NewClientset(objs...)
	var logged []string
	SweepExpired(t.Context(), cs, func(format string, args ...any) { logged = append(logged, format) })

	var left []string
	nss, err := cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		left = append(left, "namespace "+n.Name)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		left = append(left, "clusterrolebinding "+b.Name)
	}
	sas, err := cs.CoreV1().ServiceAccounts("users-ns").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sas.Items {
		left = append(left, "serviceaccount "+s.Name)
	}
	sort.Strings(left)
	var want []string
	for _, kind := range []string{"clusterrolebinding", "namespace", "serviceaccount"} {
		for _, name := range []string{"garbled", "other", "running", "unmarked"} {
			want = append(want, kind+" "+name)
		}
	}
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("left after the sweep (-want +got):\n%s", diff)
	}
	if len(logged) != 3 {
		t.Errorf("logged %d deletions, want 3", len(logged))
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	exp := time.Date(2026, 12, 2, 10, 0, 0, 0, time.FixedZone("x", 3600))
	name := Name("must-gather-")
	got, err := Create(t.Context(), cs, name, "0123abcd", exp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name {
		t.Errorf("name %q, want %q", got.Name, name)
	}
	want := map[string]string{
		RunLabel:                             "0123abcd",
		"pod-security.kubernetes.io/enforce": "privileged",
		"pod-security.kubernetes.io/audit":   "privileged",
		"pod-security.kubernetes.io/warn":    "privileged",
	}
	if diff := cmp.Diff(want, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("2026-12-02T09:00:00Z", got.Annotations[ExpiresAnnotation]); diff != "" {
		t.Errorf("expiry (-want +got):\n%s", diff)
	}
}

// Names are the prefix and six hex digits (a DNS label's characters), a
// new one each time.
func TestName(t *testing.T) {
	t.Parallel()
	a, b := Name("must-gather-"), Name("must-gather-")
	for _, n := range []string{a, b} {
		if !regexp.MustCompile(`^must-gather-[0-9a-f]{6}$`).MatchString(n) {
			t.Errorf("name %q", n)
		}
	}
	if a == b {
		t.Errorf("two names alike: %q", a)
	}
}

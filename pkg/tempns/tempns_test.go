package tempns

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// Only temporary namespaces of earlier runs whose time has passed are
// swept; a running run's, an unmarked one and other namespaces stay.
func TestSweepExpired(t *testing.T) {
	t.Parallel()
	ns := func(name string, labels map[string]string, expires string) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if expires != "" {
			n.Annotations = map[string]string{ExpiresAnnotation: expires}
		}
		return n
	}
	run := map[string]string{RunLabel: "0123abcd"}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cs := fake.NewClientset(
		ns("expired", run, past),
		ns("running", run, future),
		ns("unmarked", run, ""),
		ns("garbled", run, "tomorrow"),
		ns("other", nil, past),
	)
	var logged []string
	SweepExpired(t.Context(), cs, func(format string, args ...any) { logged = append(logged, format) })
	list, err := cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, n := range list.Items {
		left = append(left, n.Name)
	}
	sort.Strings(left)
	if diff := cmp.Diff([]string{"garbled", "other", "running", "unmarked"}, left); diff != "" {
		t.Errorf("namespaces after the sweep (-want +got):\n%s", diff)
	}
	if len(logged) != 1 {
		t.Errorf("logged %d deletions, want 1", len(logged))
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	exp := time.Date(2026, 12, 2, 10, 0, 0, 0, time.FixedZone("x", 3600))
	got, err := Create(t.Context(), cs, "must-gather-", "0123abcd", exp)
	if err != nil {
		t.Fatal(err)
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

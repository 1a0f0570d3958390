package nodes

import (
	"context"
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
func TestSweepNamespaces(t *testing.T) {
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
	(&DebugPods{CS: cs}).sweepNamespaces(t.Context())
	list, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
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
}

// A temporary namespace expires a budget (and a margin) after the run's
// deadline: no pod of the run can be alive then.
func TestExpires(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(8 * time.Minute)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	d := &DebugPods{Budget: 5 * time.Minute}
	if got, want := d.expires(ctx), deadline.Add(6*time.Minute); !got.Equal(want) {
		t.Errorf("expires %v, want %v", got, want)
	}
	if got := d.expires(context.Background()); got.Before(time.Now().Add(24 * time.Hour)) {
		t.Errorf("without a deadline expires %v, want a day or more from now", got)
	}
}

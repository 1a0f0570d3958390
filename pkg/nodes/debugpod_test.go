package nodes

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/tempns"
)

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

// Debug pods are critical (admitted on a node under disk pressure) unless
// the cluster refuses critical pods here; then the run goes without.
func TestCreateCriticalElseNot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		refuse       bool
		wantPriority []string // of each pod that was created
		wantAttempts int
	}{
		{name: "critical allowed", wantPriority: []string{debugPodPriority, debugPodPriority}, wantAttempts: 2},
		{name: "critical refused", refuse: true, wantPriority: []string{"", ""}, wantAttempts: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			attempts := 0
			cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				attempts++
				p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
				if tc.refuse && p.Spec.PriorityClassName != "" {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, p.Name,
						errors.New(`exceeded quota: critical-pods, requested: pods=1, used: pods=0, limited: pods=0`))
				}
				return false, nil, nil
			})
			d := &DebugPods{CS: cs, Namespace: "ns"}
			var got []string
			for _, name := range []string{"a", "b"} {
				p, err := d.create(t.Context(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Spec.PriorityClassName)
			}
			if diff := cmp.Diff(tc.wantPriority, got); diff != "" {
				t.Errorf("priority classes (-want +got):\n%s", diff)
			}
			if attempts != tc.wantAttempts {
				t.Errorf("%d create calls, want %d (a refusal is asked once per run)", attempts, tc.wantAttempts)
			}
		})
	}
}

// A refusal that is not about the class (the user may not create pods at
// all) does not take the class from later pods.
func TestCreateRefusedForOtherReasons(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	refuse := true
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if refuse {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("user cannot create pods"))
		}
		return false, nil, nil
	})
	d := &DebugPods{CS: cs, Namespace: "ns"}
	if _, err := d.create(t.Context(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}}); !apierrors.IsForbidden(err) {
		t.Fatalf("error = %v, want the refusal", err)
	}
	refuse = false
	p, err := d.create(t.Context(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}})
	if err != nil || p.Spec.PriorityClassName != debugPodPriority {
		t.Errorf("later pod: class %q, %v; want %s", p.Spec.PriorityClassName, err, debugPodPriority)
	}
}

// What the debug pods return keeps its cause: a refusal is still
// apierrors.IsForbidden, an ended pod still pods.ErrEnded, and both are
// ErrCannotRun, with the words the run log has always had.
func TestDebugPodErrorsKeepTheirCause(t *testing.T) {
	t.Parallel()
	forbid := func(resource string) k8stesting.ReactionFunc {
		return func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("user cannot create "+resource))
		}
	}
	tests := []struct {
		name      string
		namespace string // empty: a temporary one
		reactor   func(cs *fake.Clientset)
		wantErr   string
		wantIs    error
		forbidden bool
	}{
		{
			name:      "pod create forbidden",
			namespace: "ns",
			reactor:   func(cs *fake.Clientset) { cs.PrependReactor("create", "pods", forbid("pods")) },
			wantErr:   `debug pod cannot run: creating a debug pod on n1: pods is forbidden: user cannot create pods`,
			forbidden: true,
		},
		{
			name:      "namespace create forbidden",
			reactor:   func(cs *fake.Clientset) { cs.PrependReactor("create", "namespaces", forbid("namespaces")) },
			wantErr:   `debug pod cannot run: creating a namespace for debug pods: namespaces is forbidden: user cannot create namespaces`,
			forbidden: true,
		},
		{
			name:      "pod ended before it ran",
			namespace: "ns",
			reactor: func(cs *fake.Clientset) {
				// Stored as it is created: ended at once, as a pod whose
				// image has no node agent.
				cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
					p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
					p.Name = p.GenerateName + "x"
					p.Status = corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{Name: "agent",
						State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "StartError", ExitCode: 128, Message: "no node agent"}}}}}
					return false, nil, nil
				})
			},
			wantErr: `debug pod cannot run: debug pod on n1: pod ended: StartError (exit code 128): no node agent`,
			wantIs:  pods.ErrEnded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			tc.reactor(cs)
			d := &DebugPods{CS: cs, Namespace: tc.namespace, Image: "img"}
			cleanup, err := d.Prepare(t.Context())
			defer cleanup()
			if err == nil {
				err = d.On(t.Context(), "n1", func(Exec) error {
					t.Error("ran without a running pod")
					return nil
				})
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if !errors.Is(err, ErrCannotRun) {
				t.Errorf("error %v is not ErrCannotRun", err)
			}
			if got := apierrors.IsForbidden(err); got != tc.forbidden {
				t.Errorf("IsForbidden(%v) = %v, want %v", err, got, tc.forbidden)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
		})
	}
}

// The client runs several gathers in one namespace at once: a gather's
// sweep of earlier runs' debug pods leaves those of a gather still running
// (it killed them: exit 137 of their node agent), and deletes the others.
func TestSweepOrphans(t *testing.T) {
	t.Parallel()
	const ns = "must-gather-abc123"
	gather := func(name string, uid types.UID, phase corev1.PodPhase) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: uid, Labels: map[string]string{"app": "must-gather"}},
			Status: corev1.PodStatus{Phase: phase}}
	}
	debug := func(name, run string, owner *corev1.Pod) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{tempns.RunLabel: run}}}
		if owner != nil {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner.Name, UID: owner.UID}}
		}
		return p
	}
	running, ended := gather("gather-running", "uid-1", corev1.PodRunning), gather("gather-ended", "uid-2", corev1.PodSucceeded)
	gone := gather("gather-gone", "uid-3", corev1.PodRunning) // not in the cluster
	replaced := gather("gather-running", "uid-old", corev1.PodRunning)
	cs := fake.NewClientset(running, ended,
		debug("of-this-run", "mine", running),
		debug("of-a-running-gather", "other", running),
		debug("of-an-ended-gather", "other", ended),
		debug("of-a-gone-gather", "other", gone),
		debug("of-an-earlier-pod-of-that-name", "other", replaced),
		debug("of-no-gather", "other", nil),
	)
	sweepOrphans(t.Context(), cs, ns, "mine")
	list, err := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range list.Items {
		left = append(left, p.Name)
	}
	sort.Strings(left)
	want := []string{"gather-ended", "gather-running", "of-a-running-gather", "of-this-run"}
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("pods left (-want +got):\n%s", diff)
	}
}

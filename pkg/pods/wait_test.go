package pods

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func pod(phase corev1.PodPhase, statuses ...corev1.ContainerStatus) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: statuses},
	}
}

func waiting(name, reason, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}
}

func terminated(name, reason string, code int32, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Message: message}}}
}

func running(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

// event is one watch event after the list.
type event struct {
	typ watch.EventType
	pod *corev1.Pod
}

// Wait takes the pod from the list, then from the watch, until the
// condition is met, fails, or the pod goes; on a timeout it says what the
// pod waits for.
func TestWait(t *testing.T) {
	t.Parallel()
	creating := waiting("agent", "ContainerCreating", "")
	tests := []struct {
		name      string
		listed    *corev1.Pod // nil: no such pod
		events    []event
		cond      Condition
		timeout   time.Duration // default: a minute
		wantPhase corev1.PodPhase
		wantErr   string
		wantIs    error
		notFound  bool
	}{
		{
			name:      "running when listed",
			listed:    pod(corev1.PodRunning, running("agent")),
			cond:      Running,
			wantPhase: corev1.PodRunning,
		},
		{
			name:      "running after watching",
			listed:    pod(corev1.PodPending),
			events:    []event{{watch.Modified, pod(corev1.PodPending, creating)}, {watch.Modified, pod(corev1.PodRunning, running("agent"))}},
			cond:      Running,
			wantPhase: corev1.PodRunning,
		},
		{
			name:    "ended with its container's reason",
			listed:  pod(corev1.PodPending, creating),
			events:  []event{{watch.Modified, pod(corev1.PodFailed, terminated("agent", "StartError", 128, "exec: no such file"))}},
			cond:    Running,
			wantErr: "pod ended: StartError (exit code 128): exec: no such file",
			wantIs:  ErrEnded,
		},
		{
			name:   "ended with its own reason",
			listed: pod(corev1.PodPending),
			events: []event{{watch.Modified, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
				Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "DeadlineExceeded", Message: "Pod was active on the node longer than the specified deadline"}}}},
			cond:    Running,
			wantErr: "pod ended: DeadlineExceeded: Pod was active on the node longer than the specified deadline",
			wantIs:  ErrEnded,
		},
		{
			name:    "image cannot be pulled",
			listed:  pod(corev1.PodPending, creating),
			events:  []event{{watch.Modified, pod(corev1.PodPending, waiting("agent", "ErrImagePull", "pull access denied"))}},
			cond:    Running,
			wantErr: "ErrImagePull: pull access denied",
		},
		{
			name:   "no node can take it",
			listed: pod(corev1.PodPending),
			events: []event{{watch.Modified, func() *corev1.Pod {
				p := pod(corev1.PodPending)
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
					Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}}
				return p
			}()}},
			cond:    Running,
			wantErr: "Unschedulable: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
		},
		{
			name:    "deleted while waiting",
			listed:  pod(corev1.PodPending),
			events:  []event{{watch.Deleted, pod(corev1.PodPending)}},
			cond:    Running,
			wantErr: `pods "p" not found`, notFound: true,
		},
		{
			name:    "not there",
			cond:    Running,
			wantErr: `pods "p" not found`, notFound: true,
		},
		{
			name:    "timed out, saying why it waits",
			listed:  pod(corev1.PodPending, creating),
			events:  []event{{watch.Modified, pod(corev1.PodPending, waiting("agent", "PodInitializing", "slow"))}},
			cond:    Running,
			timeout: 200 * time.Millisecond,
			wantErr: "context deadline exceeded (PodInitializing: slow)",
			wantIs:  context.DeadlineExceeded,
		},
		{
			name:    "timed out while created",
			listed:  pod(corev1.PodPending, creating),
			cond:    Running,
			timeout: 200 * time.Millisecond,
			wantErr: "context deadline exceeded",
			wantIs:  context.DeadlineExceeded,
		},
		{
			name:   "a container ended while the pod runs",
			listed: pod(corev1.PodRunning, running("gather"), running("copy")),
			events: []event{
				{watch.Modified, pod(corev1.PodRunning, terminated("other", "Completed", 0, ""), running("gather"))},
				{watch.Modified, pod(corev1.PodRunning, terminated("gather", "Error", 1, ""), running("copy"))},
			},
			cond:      ContainerEnded("gather"),
			wantPhase: corev1.PodRunning,
		},
		{
			name:    "the pod ended without the container",
			listed:  pod(corev1.PodPending),
			events:  []event{{watch.Modified, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "low on disk"}}}},
			cond:    ContainerEnded("gather"),
			wantErr: "pod ended: Evicted: low on disk",
			wantIs:  ErrEnded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var objs []runtime.Object
			if tc.listed != nil {
				objs = append(objs, tc.listed)
			}
			// Another pod of the namespace: the fake does not apply the
			// field selector, Wait must not mistake it for its own.
			objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
			cs := fake.NewClientset(objs...)
			fw := watch.NewFakeWithOptions(watch.FakeOptions{ChannelSize: len(tc.events)})
			for _, e := range tc.events {
				fw.Action(e.typ, e.pod)
			}
			cs.PrependWatchReactor("pods", k8stesting.DefaultWatchReactor(fw, nil))
			timeout := tc.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			got, err := Client{CS: cs}.Wait(ctx, "ns", "p", tc.cond)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("error = %v", err)
				}
				if diff := cmp.Diff(tc.wantPhase, got.Status.Phase); diff != "" {
					t.Errorf("phase (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			if apierrors.IsNotFound(err) != tc.notFound {
				t.Errorf("IsNotFound(%v) = %v, want %v", err, !tc.notFound, tc.notFound)
			}
		})
	}
}

// A hopeless wait is a *WaitingError naming the container.
func TestRunningWaitingError(t *testing.T) {
	t.Parallel()
	_, err := Running(pod(corev1.PodPending, running("sidecar"), waiting("agent", "InvalidImageName", "bad ref")))
	var we *WaitingError
	if !errors.As(err, &we) {
		t.Fatalf("error = %v, want a *WaitingError", err)
	}
	if diff := cmp.Diff(&WaitingError{Container: "agent", Reason: "InvalidImageName", Message: "bad ref"}, we); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

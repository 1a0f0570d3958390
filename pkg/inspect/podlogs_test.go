package inspect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
)

func TestKubeletUnreachable(t *testing.T) {
	t.Parallel()
	fromServer := func(msg string) error { return apierrors.NewInternalError(errors.New(msg)) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": dial tcp 10.0.0.2:10250: connect: connection refused`), true},
		{"timed out", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": dial tcp 10.0.0.2:10250: i/o timeout`), true},
		{"TLS handshake", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": net/http: TLS handshake timeout`), true},
		{"wrapped", fmt.Errorf("log of x: %w", fromServer("dial tcp 10.0.0.2:10250: connect: no route to host")), true},
		{"log not there", apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "p"), false},
		{"bad request", apierrors.NewBadRequest(`previous terminated container "c" in pod "p" not found`), false},
		// Our own connection to the apiserver failing says nothing of a node.
		{"apiserver unreachable", &url.Error{Op: "Get", URL: "https://api:6443", Err: errors.New("dial tcp 10.0.0.1:6443: connect: connection refused")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := kubeletUnreachable(tc.err); got != tc.want {
				t.Errorf("kubeletUnreachable = %v, want %v", got, tc.want)
			}
		})
	}
}

// After the first unreachable error on a node, its other logs are skipped
// and counted; other nodes and pods without a node are not affected.
func TestDeadNodes(t *testing.T) {
	t.Parallel()
	var d deadNodes
	first := errors.New("dial tcp 10.0.0.2:10250: i/o timeout")
	var got []bool
	got = append(got, d.skip("a"))
	d.trip("a", first)
	d.trip("a", errors.New("a later error"))
	d.trip("", first)
	got = append(got, d.skip("a"), d.skip("a"), d.skip("b"), d.skip(""))
	if diff := cmp.Diff([]bool{false, true, true, false, false}, got); diff != "" {
		t.Errorf("skip (-want +got):\n%s", diff)
	}
	errs := d.errors()
	if len(errs) != 1 || !errors.Is(errs[0], first) ||
		!strings.HasPrefix(errs[0].Error(), "skipped 2 container logs of pods on node a: its kubelet could not be reached") {
		t.Errorf("errors = %v", errs)
	}
}

// spawn starts no goroutine beyond its bound: with Parallel logs in
// flight, it waits for one to end before it starts the next (it used to
// start one goroutine per container, each waiting for a slot).
func TestSpawnBound(t *testing.T) {
	t.Parallel()
	const parallel, jobs = 2, 10
	in := &inspector{sem: make(chan struct{}, parallel)}
	release := make(chan struct{})
	started := make(chan struct{}, jobs)
	var running, maxRunning, returned atomic.Int32
	spawned := make(chan struct{})
	go func() {
		defer close(spawned)
		for range jobs {
			in.spawn(t.Context(), func() {
				n := running.Add(1)
				for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
				}
				started <- struct{}{}
				<-release
				running.Add(-1)
			})
			returned.Add(1)
		}
	}()
	for range parallel {
		<-started
	}
	// While both slots are busy, no further spawn returns: none has left
	// a goroutine behind waiting for a slot.
	window := time.After(100 * time.Millisecond)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for watching := true; watching; {
		select {
		case <-window:
			watching = false
		case <-tick.C:
			if n := returned.Load(); n > parallel {
				t.Fatalf("%d spawns returned with %d slots busy", n, parallel)
			}
		}
	}
	release <- struct{}{} // one ends: the next starts
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no job started after a slot freed")
	}
	close(release)
	<-spawned
	in.wg.Wait()
	if got := len(started) + parallel + 1; got != jobs {
		t.Errorf("%d jobs ran, want %d", got, jobs)
	}
	if m := maxRunning.Load(); m > parallel {
		t.Errorf("%d jobs ran at once, bound %d", m, parallel)
	}
}

// Once the context is done, spawn runs the work itself (it fails at once
// and records its error) rather than wait for a slot.
func TestSpawnDone(t *testing.T) {
	t.Parallel()
	in := &inspector{sem: make(chan struct{}, 1)}
	in.sem <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	in.spawn(ctx, func() { ran = true })
	if !ran {
		t.Error("spawn with a done context returned without running the work")
	}
}

func TestPodLogs(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	done := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	tests := []struct {
		name string
		pod  corev1.Pod
		want []ContainerLog
	}{
		{
			name: "running, never restarted",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: running}}},
			},
			want: []ContainerLog{{Container: "app"}},
		},
		{
			name: "restarted: current and previous; an init container that ended",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init"}}, Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{
					InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: done}},
					ContainerStatuses:     []corev1.ContainerStatus{{Name: "app", State: running, RestartCount: 1}},
				},
			},
			want: []ContainerLog{{Container: "init"}, {Container: "app"}, {Container: "app", Previous: true}},
		},
		{
			name: "waiting to restart: the last run's log is current",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: waiting,
					LastTerminationState: done}}},
			},
			want: []ContainerLog{{Container: "app"}, {Container: "app", Previous: true}},
		},
		{
			name: "never created, or creating: no log",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "b", State: waiting}}},
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, PodLogs(&tt.pod)); diff != "" {
				t.Errorf("PodLogs (-want +got):\n%s", diff)
			}
		})
	}
}

// Under --max-size the logs of failing and not-ready pods go first.
func TestLogsFirst(t *testing.T) {
	t.Parallel()
	ready := func(s corev1.ConditionStatus) []corev1.PodCondition {
		return []corev1.PodCondition{{Type: corev1.PodReady, Status: s}}
	}
	tests := []struct {
		name   string
		status corev1.PodStatus
		want   bool
	}{
		{"running and ready", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready(corev1.ConditionTrue)}, false},
		{"completed", corev1.PodStatus{Phase: corev1.PodSucceeded}, false},
		{"running, not ready", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready(corev1.ConditionFalse)}, true},
		{"running, no ready condition yet", corev1.PodStatus{Phase: corev1.PodRunning}, true},
		{"failed", corev1.PodStatus{Phase: corev1.PodFailed}, true},
		{"restarted", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready(corev1.ConditionTrue),
			ContainerStatuses: []corev1.ContainerStatus{{Name: "c", RestartCount: 1}}}, true},
		{"crash loop", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := LogsFirst(&corev1.Pod{Status: tc.status}); got != tc.want {
				t.Errorf("LogsFirst = %v, want %v", got, tc.want)
			}
		})
	}
}

// Under --max-size every object is written, then the failing pod's logs,
// then the healthy pod's, which the budget cuts though its namespace was
// named first.
func TestLogsUnderBudget(t *testing.T) {
	t.Parallel()
	objs := world(false)
	for _, o := range objs {
		if o.GetKind() == "Pod" && o.GetName() == "web" {
			status := o.Object["status"].(map[string]any)
			status["conditions"] = []any{map[string]any{"type": "Ready", "status": "True"}}
		}
	}
	gather := func(opts output.Options) (map[string]string, []output.Cut) {
		fc := newFakeCluster(t, false, objs)
		sink, mem := outputtest.New(opts)
		var log outputtest.Log
		if err := Gather(t.Context(), fc.clients, sink, &log, Config{}, []string{"namespaces/app", "namespaces/broken"}); err != nil {
			t.Fatalf("Gather: %v\n%s", err, log.String())
		}
		return mem.Files(), sink.Total().Cuts()
	}
	full, _ := gather(output.Options{})
	var objects, failingLogs int64
	var healthyLogs []string
	for p, b := range full {
		switch {
		case !strings.HasSuffix(p, ".log"):
			objects += int64(len(b))
		case strings.Contains(p, "/pods/crash/"):
			failingLogs += int64(len(b))
		default:
			healthyLogs = append(healthyLogs, p)
		}
	}
	if len(healthyLogs) == 0 || failingLogs == 0 {
		t.Fatalf("the fake cluster's logs: healthy %v, failing %d bytes", healthyLogs, failingLogs)
	}
	got, cuts := gather(output.Options{MaxSize: objects + failingLogs})
	for p, b := range full {
		if strings.Contains(p, "/pods/web/") && strings.HasSuffix(p, ".log") {
			continue
		}
		if diff := cmp.Diff(b, got[p]); diff != "" {
			t.Errorf("%s under --max-size (-want +got):\n%s", p, diff)
		}
	}
	var cutPaths []string
	for _, c := range cuts {
		if c.Reason != output.CutMaxSize || c.KeptBytes != 0 {
			t.Errorf("cut %+v, want the log left out for max-size", c)
		}
		if _, ok := full[c.Path]; !ok {
			// A log the full run found absent (a previous container's)
			// may be refused once the budget is spent: it is asked for
			// only then, and nothing of it is lost.
			continue
		}
		cutPaths = append(cutPaths, c.Path)
	}
	sort.Strings(cutPaths)
	sort.Strings(healthyLogs)
	if diff := cmp.Diff(healthyLogs, cutPaths); diff != "" {
		t.Errorf("logs cut (-want +got):\n%s", diff)
	}
}

package nodes

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/builtin"
)

// Without debug pods every Ready node is read through the proxy, a few at
// a time; skipped nodes and failures are errors; the report says which
// path each node took and why.
func TestVisitRun(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	var logMu sync.Mutex
	report := &builtin.Report{}
	logTo := writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return log.Write(p)
	})
	targets := []Target{{Name: "a"}, {Name: "b"}, {Name: "c", SkipReason: "node is not Ready (NodeStatusUnknown: Kubelet stopped posting node status.)"}, {Name: "d"}, {Name: "e"}}
	v := visit{Reaching: &Reaching{Parallel: 2, NodeBudget: time.Minute}, log: logTo, report: report, name: "test", targets: targets, noPods: "debug pods disabled (--no-debug-pods)"}
	var running, most atomic.Int32
	var mu sync.Mutex
	var seen []Node
	// The first two calls wait for each other: two run at once.
	both := make(chan struct{})
	var bothOnce sync.Once
	err := v.run(t.Context(), func(context.Context, Node, Exec) error {
		t.Error("a debug pod without debug pods")
		return nil
	}, func(ctx context.Context, n Node, _ LogProxy) error {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		if _, ok := ctx.Deadline(); !ok {
			t.Errorf("%s: no node budget on the proxy path", n.Name)
		}
		if now == 2 {
			bothOnce.Do(func() { close(both) })
		}
		select {
		case <-both:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: never two nodes at once", n.Name)
		}
		mu.Lock()
		seen = append(seen, n)
		mu.Unlock()
		if n.Name == "d" {
			return errors.New("proxy refused")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "skipping node c: node is not Ready") || !strings.Contains(err.Error(), "node d: proxy refused") {
		t.Errorf("error = %v", err)
	}
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d nodes at once, want 2", m)
	}
	if len(seen) != 4 || seen[0].Selected != 5 {
		t.Errorf("visited %+v, want 4 nodes of 5 selected", seen)
	}
	why := "debug pods disabled (--no-debug-pods)"
	want := []builtin.NodeReport{
		{Name: "a", Path: PathProxy, Reason: why},
		{Name: "b", Path: PathProxy, Reason: why},
		{Name: "c", Path: PathSkipped, Reason: targets[2].SkipReason},
		{Name: "d", Path: PathProxy, Reason: why},
		{Name: "e", Path: PathProxy, Reason: why},
	}
	if diff := cmp.Diff(want, report.Nodes()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	for _, l := range []string{"test: a: reading through the node log proxy\n", "test: skipping node c: node is not Ready", "test: node d: proxy refused\n"} {
		if !strings.Contains(log.String(), l) {
			t.Errorf("log lacks %q:\n%s", l, log.String())
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Nodes not yet started when the run stops are recorded as not reached.
func TestVisitRunStopped(t *testing.T) {
	t.Parallel()
	report := &builtin.Report{}
	v := visit{Reaching: &Reaching{Parallel: 1, NodeBudget: time.Minute}, log: io.Discard, report: report, name: "test",
		targets: []Target{{Name: "a"}, {Name: "b"}}, noPods: "none"}
	ctx, cancel := context.WithCancelCause(t.Context())
	err := v.run(ctx, nil, func(ctx context.Context, n Node, _ LogProxy) error {
		cancel(errors.New("terminated signal received")) // stops during the first node
		return ctx.Err()
	})
	if err == nil || !strings.Contains(err.Error(), ": not reached: terminated signal received") {
		t.Errorf("error = %v", err)
	}
	// One at a time, in either order: the first is read, the second not.
	paths := map[string]int{}
	for _, n := range report.Nodes() {
		paths[n.Path+" "+n.Reason]++
	}
	want := map[string]int{PathProxy + " stopped: terminated signal received": 1, PathSkipped + " not reached: terminated signal received": 1}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

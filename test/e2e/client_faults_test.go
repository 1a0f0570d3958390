package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/test/clustertest"
	"github.com/must-gather/toolkit/test/faultproxy"
)

// The client behind the fault proxy (its pod talks to the API server
// directly): a 503 with Retry-After on the creation of its namespace and a
// 429 with Retry-After on its pod watch (both retried by client-go), two
// refused exec requests of its copy (the copy is tried again), and the
// gather's log: its stream never ends, and reading it whole fails with a
// 500. The run does not wait for the hung stream past a short grace,
// finishes well inside its --timeout, names the log's failure and its
// cause, keeps what the stream brought, has everything else, and exits 3.
func TestClientThroughFaults(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	run := "^/api/v1/namespaces/must-gather-[0-9a-f]{6}"
	proxy := faultproxy.Start(t, clustertest.Config(t),
		faultproxy.Rule{Name: "namespace-503", Method: "POST", Path: "^/api/v1/namespaces$", Fault: faultproxy.Status, Code: 503, RetryAfter: 1, Times: 1},
		faultproxy.Rule{Name: "watch-429", Path: run + "/pods$", Query: "watch=true", Fault: faultproxy.Status, Code: 429, RetryAfter: 1, Times: 1},
		faultproxy.Rule{Name: "copy-500", Path: run + "/pods/[^/]+/exec$", Query: "container=copy", Fault: faultproxy.Status, Code: 500, Times: 2},
		faultproxy.Rule{Name: "log-hangs", Path: run + "/pods/[^/]+/log$", Query: "follow=true", Fault: faultproxy.Hang},
		faultproxy.Rule{Name: "log-500", Path: run + "/pods/[^/]+/log$", Fault: faultproxy.Status, Code: 500},
	)
	dest := filepath.Join(t.TempDir(), "must-gather")
	// The gather phase ends 30 s before the end (the copy's margin): a run
	// held by the hung log would take 90 s.
	const timeout = 2 * time.Minute
	r := runClientWith(t, bin, proxy.Kubeconfig, dest, timeout+time.Minute, "--image", ref, "--timeout", timeout.String(),
		"--", "/usr/bin/gather", "inspect", "ns/default", "--dest-dir", "/must-gather")
	t.Logf("kubectl-must_gather through the faults took %s (exit %d)", r.took, r.code)
	stderr := r.stderr.String()
	if r.code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want %d (partial)\nstderr:\n%s", r.code, r.err, cli.ExitPartial, stderr)
	}
	if r.took > 60*time.Second {
		t.Errorf("took %s: the hung log held the run", r.took)
	}
	for rule, want := range map[string]int{"namespace-503": 1, "watch-429": 1, "copy-500": 2, "log-hangs": 1, "log-500": 1} {
		if got := proxy.Hits(rule); got < want {
			t.Errorf("rule %s faulted %d requests, want %d", rule, got, want)
		}
	}
	// Retried by client-go: each faulted request was made again.
	if got := proxy.Requests(`^/api/v1/namespaces[?]`); got < 2 {
		t.Errorf("%d namespace creations, want the faulted one and its retry", got)
	}
	// The run's error, its last lines.
	i := strings.LastIndex(stderr, "\nerror: ")
	if i < 0 {
		t.Fatalf("stderr has no error line:\n%s", stderr)
	}
	last := strings.TrimSpace(stderr[i:])
	for _, want := range []string{"the gather log of " + ref, "its stream went on 10s after the gather ended", "reading the log of", "faultproxy: rule log-500"} {
		if !strings.Contains(last, want) {
			t.Errorf("the error line does not name %q:\n%s", want, last)
		}
	}
	for _, notWant := range []string{"namespace-503", "watch-429", "copy-500"} {
		if strings.Contains(last, notWant) {
			t.Errorf("the error line names %s, which was retried:\n%s", notWant, last)
		}
	}
	if !strings.Contains(stderr, "trying again: ") {
		t.Errorf("stderr does not say the copy was tried again:\n%s", stderr)
	}
	clientLog := read(t, filepath.Join(dest, "must-gather.logs"))
	if !strings.Contains(clientLog, last) {
		t.Errorf("must-gather.logs lacks the error %q", last)
	}
	folder := imageFolder(t, dest)
	for _, f := range []string{"namespaces/default/default.yaml", "namespaces/default/core/services.yaml", "namespaces/default/core/configmaps.yaml"} {
		if _, err := os.Stat(filepath.Join(folder, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// What the hung stream brought, to the gather's last line, is kept.
	if log := read(t, filepath.Join(folder, "gather.logs")); !strings.Contains(log, "inspect: namespace default gathered") {
		t.Errorf("gather.logs lacks what the stream brought:\n%s", log)
	}
	assertIntact(t, folder)
	assertRunGone(t, runIDOf(t, stderr))
}

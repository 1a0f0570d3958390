package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/test/clustertest"
	"github.com/must-gather/toolkit/test/faultproxy"
)

// The API server unreachable from the client for 20 s in the middle of a
// run (its port closed, its open connections cut, from the moment the
// client starts following the gather's log); the gather's pod, inside the
// cluster, goes on. The client waits it out within its --timeout, copies
// the whole result and leaves nothing behind.
func TestClientAPIServerUnreachable(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	run := "^/api/v1/namespaces/must-gather-[0-9a-f]{6}"
	proxy := faultproxy.Start(t, clustertest.Config(t),
		faultproxy.Rule{Name: "down", Path: run + "/pods/[^/]+/log$", Query: "follow=true", Fault: faultproxy.Down, Delay: 20 * time.Second, Times: 1},
	)
	dest := filepath.Join(t.TempDir(), "must-gather")
	const timeout = 3 * time.Minute
	r := runClientWith(t, bin, proxy.Kubeconfig, dest, timeout+time.Minute, "--image", img, "--timeout", timeout.String(),
		"--", "/usr/bin/gather", "40")
	t.Logf("kubectl-must_gather with the API server away for 20 s took %s (exit %d)", r.took, r.code)
	if got := proxy.Hits("down"); got != 1 {
		t.Fatalf("the down rule faulted %d requests, want 1: the outage never happened\nstderr:\n%s", got, r.stderr.String())
	}
	if r.code != cli.ExitOK && r.code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want 0 or 3\nstderr:\n%s", r.code, r.err, r.stderr.String())
	}
	if r.took >= timeout {
		t.Errorf("took %s, not inside its --timeout %s", r.took, timeout)
	}
	folder := imageFolder(t, dest)
	for _, f := range []string{"shell/started", "shell/done"} {
		if _, err := os.Stat(filepath.Join(folder, f)); err != nil {
			t.Errorf("the gather's %s was not copied back: %v\nstderr:\n%s", f, err, r.stderr.String())
		}
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))
}

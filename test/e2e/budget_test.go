package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/test/clustertest"
)

// logLines are n numbered lines of about 100 bytes, for a pod to log.
func logLines(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s line %04d %s", prefix, i, strings.Repeat("x", 80))
	}
	return out
}

// budgetManifest is what these tests read of the manifest.
type budgetManifest struct {
	Options struct {
		MaxSize    int64 `json:"maxSize"`
		MaxLogSize int64 `json:"maxLogSize"`
	} `json:"options"`
	Steps []steps.StepRecord `json:"steps"`
}

// gatherNamespace runs gather with one step, inspect ns/NS, and the extra
// flags, and returns its destination and manifest.
func gatherNamespace(t *testing.T, ns string, flags ...string) (string, budgetManifest) {
	t.Helper()
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-inspect"), []byte("inspect ns/"+ns+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	var out, errOut bytes.Buffer
	args := append([]string{"--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "--volume-percentage", "100"}, flags...)
	if code := app.Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args); code != cli.ExitOK {
		t.Fatalf("gather %v: exit code %d\n%s", flags, code, errOut.String())
	}
	var m budgetManifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dest, steps.ManifestFile))), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Steps) != 1 {
		t.Fatalf("manifest steps: %+v", m.Steps)
	}
	return dest, m
}

// waitForLog waits until the pod's current log has its last line.
func waitForLog(t *testing.T, ns, pod, last string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(clustertest.Logs(t, ns, pod, "main"), last) {
		if time.Now().After(deadline) {
			t.Fatalf("pod %s/%s never logged %q", ns, pod, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func logPath(ns, pod string) string {
	return "namespaces/" + ns + "/pods/" + pod + "/main/main/logs/current.log"
}

// A log larger than --max-log-size keeps its tail from a line's start
// (its last line, not its first), and the cut is in the manifest.
func TestGatherMaxLogSize(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	lines := logLines("chatty", 300) // about 40 KB with the kubelet's timestamps
	createPod(t, clustertest.TestPod(t, ns, "chatty", append([]string{"log"}, lines...)...))
	clustertest.WaitForPod(t, ns, "chatty", 2*time.Minute, clustertest.Running)
	waitForLog(t, ns, "chatty", lines[len(lines)-1])

	dest, m := gatherNamespace(t, ns, "--max-log-size", "4Ki")
	rel := logPath(ns, "chatty")
	got := read(t, filepath.Join(dest, rel))
	if len(got) > 4096 || len(got) < 3000 {
		t.Errorf("%s has %d bytes, want the last of 4096 from a line's start", rel, len(got))
	}
	if !strings.HasSuffix(got, lines[len(lines)-1]+"\n") {
		t.Errorf("%s lost its last line:\n%s", rel, got)
	}
	if strings.Contains(got, lines[0]) {
		t.Errorf("%s kept its first line", rel)
	}
	if first, _, _ := strings.Cut(got, " "); !strings.HasPrefix(first, "20") {
		t.Errorf("%s does not start with a whole line (a timestamp): %q", rel, first)
	}
	if m.Options.MaxLogSize != 4096 || m.Options.MaxSize != 0 {
		t.Errorf("manifest options: maxLogSize %d, maxSize %d", m.Options.MaxLogSize, m.Options.MaxSize)
	}
	cuts := m.Steps[0].Cuts
	if len(cuts) != 1 {
		t.Fatalf("manifest cuts: %+v, want the log's", cuts)
	}
	t.Logf("cut: path %s, originalBytes %d, keptBytes %d, reason %s", cuts[0].Path, cuts[0].OriginalBytes, cuts[0].KeptBytes, cuts[0].Reason)
	want := output.Cut{Path: rel, OriginalBytes: cuts[0].OriginalBytes, KeptBytes: int64(len(got)), Reason: output.CutMaxLogSize}
	if diff := cmp.Diff(want, cuts[0]); diff != "" || cuts[0].OriginalBytes < int64(len(strings.Join(lines, "\n"))) {
		t.Errorf("manifest cut (-want +got):\n%s\noriginal bytes %d", diff, cuts[0].OriginalBytes)
	}
}

// With a small --max-size every object YAML is still written, and the log
// of the failing pod is kept whole over the healthy pod's, which is cut
// (or left out); the cut is in the manifest.
func TestGatherMaxSize(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	healthy, failing := logLines("healthy", 400), logLines("failing", 100)
	createPod(t, clustertest.TestPod(t, ns, "healthy", append([]string{"log"}, healthy...)...))
	createPod(t, clustertest.TestPod(t, ns, "failing", append([]string{"exit", "1"}, failing...)...))
	clustertest.WaitForPod(t, ns, "healthy", 2*time.Minute, clustertest.Running)
	clustertest.WaitForPod(t, ns, "failing", 2*time.Minute, clustertest.Finished)
	waitForLog(t, ns, "healthy", healthy[len(healthy)-1])

	// Unlimited first: what every object and each log weigh.
	full, _ := gatherNamespace(t, ns)
	yamlFiles, yamlBytes := map[string]bool{}, int64(0)
	err := filepath.WalkDir(filepath.Join(full, "namespaces"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".log") {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(full, p)
		yamlFiles[filepath.ToSlash(rel)] = true
		yamlBytes += fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	failingLog := read(t, filepath.Join(full, logPath(ns, "failing")))
	healthyLog := read(t, filepath.Join(full, logPath(ns, "healthy")))
	// Room for the objects, the run's record and the failing log, not for
	// the healthy one too (its 40 KB).
	budget := yamlBytes + int64(len(failingLog)) + 8<<10
	if budget >= yamlBytes+int64(len(failingLog)+len(healthyLog)) {
		t.Fatalf("the healthy log (%d bytes) is too small for the test", len(healthyLog))
	}

	dest, m := gatherNamespace(t, ns, "--max-size", fmt.Sprint(budget))
	for f := range yamlFiles {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil && !strings.Contains(f, "/events") {
			t.Errorf("an object file was dropped under --max-size: %s", f)
		}
	}
	if got := read(t, filepath.Join(dest, logPath(ns, "failing"))); got != failingLog {
		t.Errorf("the failing pod's log was not kept whole: %d of %d bytes", len(got), len(failingLog))
	}
	var healthyCut *output.Cut
	for _, c := range m.Steps[0].Cuts {
		switch c.Path {
		case logPath(ns, "healthy"):
			healthyCut = &c
		default:
			t.Errorf("unexpected cut %+v", c)
		}
	}
	if healthyCut == nil || healthyCut.Reason != output.CutMaxSize || healthyCut.KeptBytes >= int64(len(healthyLog)) {
		t.Fatalf("the healthy pod's log: cut %+v, want one for max-size (manifest cuts %+v)", healthyCut, m.Steps[0].Cuts)
	}
	t.Logf("under --max-size %d: %s", budget, healthyCut)
	if healthyCut.KeptBytes > 0 {
		got := read(t, filepath.Join(dest, healthyCut.Path))
		if int64(len(got)) != healthyCut.KeptBytes || !strings.HasSuffix(got, healthy[len(healthy)-1]+"\n") {
			t.Errorf("the healthy log kept %d bytes (cut says %d), ending %q", len(got), healthyCut.KeptBytes, got[max(0, len(got)-120):])
		}
	}
	if m.Options.MaxSize != budget {
		t.Errorf("manifest options.maxSize %d, want %d", m.Options.MaxSize, budget)
	}
}

// The client hands --max-size and --max-log-size to the gather pods as
// $MUST_GATHER_MAX_SIZE and $MUST_GATHER_MAX_LOG_SIZE (here to an image
// that is not ours, which may read or ignore them).
func TestClientPassesLimits(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	r := runClient(t, bin, 3*time.Minute, "--image", img, "--timeout", "2m", "--archive=false",
		"--max-size", "5Gi", "--max-log-size", "64Ki",
		"--", "/bin/bash", "-c", "env | grep ^MUST_GATHER_MAX_ | sort > /must-gather/limits")
	t.Logf("kubectl-must_gather took %s", r.took)
	if r.code != cli.ExitOK {
		t.Fatalf("exit code %d (%v)\nstderr:\n%s", r.code, r.err, r.stderr.String())
	}
	got := read(t, filepath.Join(imageFolder(t, r.dest), "limits"))
	if diff := cmp.Diff("MUST_GATHER_MAX_LOG_SIZE=64Ki\nMUST_GATHER_MAX_SIZE=5Gi\n", got); diff != "" {
		t.Errorf("the gather pod's limits (-want +got):\n%s", diff)
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))
}

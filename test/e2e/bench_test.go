package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/must-gather/toolkit/test/bench"
	"github.com/must-gather/toolkit/test/clustertest"
)

// benchBinaries builds the benchmark's commands into a temporary directory.
func benchBinaries(t *testing.T) string {
	t.Helper()
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := exec.CommandContext(t.Context(), "go", "build", "-o", dir+"/", "./test/bench/loader", "./test/bench/floor", "./test/bench/logwriter")
	build.Dir = root
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the benchmark's commands: %v\n%s", err, out)
	}
	return dir
}

// runJSON runs a command and decodes its stdout.
func runJSON(t *testing.T, v any, name string, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s", filepath.Base(name), args, err, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("%s: reading %q: %v", filepath.Base(name), out.String(), err)
	}
}

// The benchmark's pieces on a tiny load: the loader fills two namespaces
// (a pod restarted once among them) and finds everything there on a second
// run; the floor fetches the objects and logs gather inspect writes of the
// same namespaces; --delete removes the set.
func TestBenchLoaderFloorAndInspectAgree(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	kc := kubeconfigPath(t)
	bin := benchBinaries(t)
	image := "localhost/mgtk/bench-logwriter:e2e-" + randomSuffix()
	clustertest.LoadImage(t, clustertest.BinaryImageArchive(t, filepath.Join(bin, "logwriter"), "usr/bin/logwriter", image))

	set := "mgtk-e2e-bench-" + randomSuffix()
	loader := []string{"--kubeconfig", kc, "--cluster-dir", clustertest.Dir(t), "--set", set, "--log-image", image,
		"--profile", "large", "--namespaces", "2", "--configmaps", "3", "--secrets", "2", "--services", "1", "--deployments", "1",
		"--custom-resources", "2", "--events", "2", "--pods", "2", "--restarted-pods", "1", "--log-bytes", "20000", "--wait", "3m"}
	t.Cleanup(func() {
		out, err := exec.Command(filepath.Join(bin, "loader"), "--kubeconfig", kc, "--set", set, "--delete", "--wait", "2m").CombinedOutput()
		if err != nil {
			t.Errorf("loader --delete: %v\n%s", err, out)
		}
	})
	var first, second struct {
		Namespaces        []string
		Created, Existing int64
	}
	runJSON(t, &first, filepath.Join(bin, "loader"), loader...)
	// 2 namespaces, 3+2+1+1+2+2 objects, 2 pods, the CRD (or it exists).
	if first.Created+first.Existing != 16 || !slices.Equal(first.Namespaces, []string{set + "-000", set + "-001"}) {
		t.Errorf("first load: %+v, want 16 objects in %s-000 and -001", first, set)
	}
	runJSON(t, &second, filepath.Join(bin, "loader"), loader...)
	if second.Created != 0 || second.Existing != 16 {
		t.Errorf("second load: %+v, want all 16 found, none created", second)
	}

	type report struct{ Objects, Logs, Errors int64 }
	var before, after report
	runJSON(t, &before, filepath.Join(bin, "floor"), append([]string{"--kubeconfig", kc}, first.Namespaces...)...)
	dest := filepath.Join(t.TempDir(), "inspect")
	args := []string{"inspect", "--kubeconfig", kc, "--dest-dir", dest}
	for _, ns := range first.Namespaces {
		args = append(args, "ns/"+ns)
	}
	if out, err := exec.CommandContext(t.Context(), gatherBinary(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("gather inspect: %v\n%s", err, out)
	}
	runJSON(t, &after, filepath.Join(bin, "floor"), append([]string{"--kubeconfig", kc}, first.Namespaces...)...)
	got, err := bench.CountDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	// Two current logs and the restarted pod's previous one.
	if got.Logs != 3 || before.Logs != 3 || after.Logs != 3 {
		t.Errorf("logs: inspect wrote %d, the floor fetched %d and %d; want 3", got.Logs, before.Logs, after.Logs)
	}
	// What the cluster derives (ReplicaSets, EndpointSlices, events of the
	// pods) may still change between two runs: inspect's count must be
	// one of the floor's, before or after it.
	if got.Objects != before.Objects && got.Objects != after.Objects {
		t.Errorf("objects: inspect wrote %d, the floor fetched %d before and %d after", got.Objects, before.Objects, after.Objects)
	}
	if got.Objects < 13 {
		t.Errorf("inspect wrote %d objects, fewer than the 13 loaded in the namespaces", got.Objects)
	}
	prev, err := filepath.Glob(filepath.Join(dest, "namespaces", set+"-*", "pods", "logger-*", "logger", "logger", "logs", "previous.log"))
	if err != nil || len(prev) != 1 {
		t.Fatalf("previous logs %v (%v), want one", prev, err)
	}
	fi, err := os.Stat(prev[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 20000 {
		t.Errorf("previous log %s: %d bytes, want the 20000 written", prev[0], fi.Size())
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/test/clustertest"
	"github.com/must-gather/toolkit/test/docs"
)

// The commands of README.md and docs/ run as they are written: each test
// fetches the text from its document (a change to the docs changes what
// runs) and gives it to bash unchanged; only the environment (KUBECONFIG,
// DEST_DIR, TESTCLUSTER_DIR, ...) and the working directory fit it to the
// test. test/docs TestEveryCommandIsAccountedFor names these runners. The
// tests here are not parallel: `make build` writes the repository's
// _output/bin, which the next ones run.

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// documented returns the text of the one command of file (relative to the
// repository root) that starts with prefix.
func documented(t *testing.T, file, prefix string) string {
	t.Helper()
	c, err := docs.Find(repoRoot(t), file, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c.Text
}

// runShell runs text with bash -c in dir, in env, and returns its combined
// output and exit code.
func runShell(t *testing.T, dir string, env []string, text string) (string, int) {
	t.Helper()
	t.Logf("$ %s", text)
	cmd := exec.CommandContext(t.Context(), "bash", "-c", text)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("running %q: %v\n%s", text, err, out)
	}
	return string(out), 0
}

// environ is the test's environment without the variables of unset and
// with those of set (NAME=value) added.
func environ(unset []string, set ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, u := range append(unset, names(set)...) {
			drop = drop || name == u
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

func names(kvs []string) []string {
	var out []string
	for _, kv := range kvs {
		name, _, _ := strings.Cut(kv, "=")
		out = append(out, name)
	}
	return out
}

// checkBundle checks what a default gathering in dest wrote: the version
// file of this product and a manifest whose run is ok.
func checkBundle(t *testing.T, dest string) {
	t.Helper()
	if v := read(t, filepath.Join(dest, "version")); !strings.HasPrefix(v, "must-gather-toolkit\n") {
		t.Errorf("version file = %q", v)
	}
	var m steps.Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dest, steps.ManifestFile))), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Status != steps.RunOK || len(m.Steps) == 0 {
		var failed []string
		for _, s := range m.Steps {
			if s.Status != steps.StatusOK {
				failed = append(failed, s.Name+": "+s.Status+": "+s.Error)
			}
		}
		t.Errorf("manifest: run status %q with %d steps, want %q; not ok: %q", m.Status, len(m.Steps), steps.RunOK, failed)
	}
}

// docs/development.md: `make help` and `make build && _output/bin/gather
// version` in the repository root.
func TestMakeHelpAndBuildAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries (not in -short mode)")
	}
	root := repoRoot(t)
	out, code := runShell(t, root, os.Environ(), documented(t, "docs/development.md", "make help"))
	if code != 0 {
		t.Fatalf("make help: exit %d\n%s", code, out)
	}
	for _, target := range []string{"build", "run", "test", "test-unit", "verify", "image", "release", "cluster-up", "cluster-down"} {
		if !strings.Contains(out, "\n  "+target+" ") && !strings.HasPrefix(out, "  "+target+" ") {
			t.Errorf("make help does not list %s:\n%s", target, out)
		}
	}
	version, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	out, code = runShell(t, root, os.Environ(), documented(t, "docs/development.md", "make build && _output/bin/gather version"))
	if code != 0 {
		t.Fatalf("make build && _output/bin/gather version: exit %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := "must-gather-toolkit " + strings.TrimSpace(string(version)) + "-dev."; !strings.HasPrefix(lines[len(lines)-1], want) {
		t.Errorf("last line %q, want it to start with %q (a dev build of VERSION)", lines[len(lines)-1], want)
	}
}

// README: `make run`, given a kubeconfig and without one (then from the
// running local test cluster), with the result in DEST_DIR.
func TestMakeRunAsDocumented(t *testing.T) {
	clustertest.RequireNode(t) // the default gathering reads the node
	root := repoRoot(t)
	run := documented(t, "README.md", "make run")
	// check runs make run and returns its result directory.
	check := func(t *testing.T, env []string, wantLines ...string) string {
		t.Helper()
		dest := filepath.Join(t.TempDir(), "result")
		start := time.Now()
		out, code := runShell(t, root, append(env, "DEST_DIR="+dest), run)
		t.Logf("make run took %s", time.Since(start).Round(100*time.Millisecond))
		if code != 0 {
			t.Errorf("make run: exit %d\n%s", code, out)
		}
		for _, want := range wantLines {
			if !strings.Contains(out, strings.ReplaceAll(want, "DEST", dest)) {
				t.Errorf("make run's output lacks %q:\n%s", want, out)
			}
		}
		return dest
	}

	t.Run("given a kubeconfig", func(t *testing.T) {
		dest := check(t, environ(nil, "KUBECONFIG="+kubeconfigPath(t)),
			"gathering from the cluster of the current kubeconfig ("+kubeconfigPath(t)+")",
			"must-gather result: DEST (gather exit code 0)")
		checkBundle(t, dest)
	})

	t.Run("no kubeconfig: the running test cluster", func(t *testing.T) {
		dir := clustertest.Dir(t)
		home := t.TempDir() // no ~/.kube/config
		// The empty HOME must not cost a cold Go or harness build.
		env := environ([]string{"KUBECONFIG"}, "HOME="+home, "TESTCLUSTER_DIR="+dir, "TESTCLUSTER_CACHE="+harnessCache(t))
		env = append(env, goEnv(t, "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV")...)
		// make run starts a cluster when none runs: never here. The
		// documented status command must find the one the tests use.
		if out, code := runShell(t, root, env, documented(t, "docs/test-cluster.md", "make cluster-status")); code != 0 || !strings.Contains(out, "kubelet") {
			t.Fatalf("make cluster-status (TESTCLUSTER_DIR=%s): exit %d, want the cluster with its kubelet running:\n%s", dir, code, out)
		}
		// There the client runs our image in a pod: oc's layout, one
		// folder for the image beside the client's own files.
		dest := check(t, env, "no kubeconfig: gathering from the running local test cluster",
			"running kubectl-must_gather with localhost/mgtk/gather:run on the local test cluster",
			"must-gather result: DEST (kubectl-must_gather exit code 0)")
		folder := imageFolder(t, dest)
		checkBundle(t, folder)
		for _, f := range []string{"must-gather.logs", "timestamp", "event-filter.html", filepath.Join(filepath.Base(folder), "gather.logs")} {
			if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
				t.Errorf("make run with the client: %v", err)
			}
		}
	})
}

// harnessCache is the harness cache of hack/cluster.sh for the real HOME.
func harnessCache(t *testing.T) string {
	t.Helper()
	if c := os.Getenv("TESTCLUSTER_CACHE"); c != "" {
		return c
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "must-gather-toolkit", "testcluster")
}

// goEnv returns NAME=value of go env for each name.
func goEnv(t *testing.T, names ...string) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	values := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(values) != len(names) {
		t.Fatalf("go env %v printed %q", names, out)
	}
	var env []string
	for i, n := range names {
		env = append(env, n+"="+values[i])
	}
	return env
}

// README: `_output/bin/gather --dest-dir ./must-gather` (the binary of
// make build, which make test runs first), in a folder of its own.
func TestGatherBinaryAsDocumented(t *testing.T) {
	clustertest.RequireNode(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "_output", "bin", "gather")); err != nil {
		t.Fatalf("no _output/bin/gather: run `make build` first (make test does): %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "_output"), filepath.Join(dir, "_output")); err != nil {
		t.Fatal(err)
	}
	out, code := runShell(t, dir, environ(nil, "KUBECONFIG="+kubeconfigPath(t)), documented(t, "README.md", "_output/bin/gather --dest-dir"))
	if code != 0 {
		t.Errorf("exit %d\n%s", code, out)
	}
	checkBundle(t, filepath.Join(dir, "must-gather"))
}

// docs/test-cluster.md: `make cluster-stop-kubelet` (the node goes NotReady)
// and `make cluster-start-kubelet` (Ready again), with the node taken alone.
func TestKubeletStopStartAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real test cluster (not in -short mode)")
	}
	node := clustertest.TakeNode(t)
	dir := clustertest.Dir(t)
	root := repoRoot(t)
	env := environ(nil, "TESTCLUSTER_DIR="+dir)
	stopped := false
	t.Cleanup(func() {
		if stopped { // the test failed between the two: Ready again for the next test
			cmd := exec.Command(filepath.Join(root, "hack", "cluster.sh"), "start-kubelet")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("starting the kubelet again: %v\n%s", err, out)
			}
		}
	})
	stopped = true
	out, code := runShell(t, root, env, documented(t, "docs/test-cluster.md", "make cluster-stop-kubelet"))
	if code != 0 {
		t.Fatalf("make cluster-stop-kubelet: exit %d\n%s", code, out)
	}
	if got := nodeReady(t, node); got != corev1.ConditionFalse && got != corev1.ConditionUnknown {
		t.Errorf("after make cluster-stop-kubelet the node's Ready is %q", got)
	}
	out, code = runShell(t, root, env, documented(t, "docs/test-cluster.md", "make cluster-start-kubelet"))
	if code != 0 {
		t.Fatalf("make cluster-start-kubelet: exit %d\n%s", code, out)
	}
	stopped = false
	// It returns when the node is Ready; the scheduler may see it a moment later.
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return nodeReady(t, node) == corev1.ConditionTrue, nil
	})
	if err != nil {
		t.Errorf("after make cluster-start-kubelet the node is not Ready: %v", err)
	}
}

func nodeReady(t *testing.T, name string) corev1.ConditionStatus {
	t.Helper()
	n, err := clustertest.Client(t).CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

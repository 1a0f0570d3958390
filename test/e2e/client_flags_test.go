package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/mustgather"
	"github.com/must-gather/toolkit/pkg/tempns"
	"github.com/must-gather/toolkit/test/clustertest"
)

// runIDOf is the run a client's stderr names.
func runIDOf(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`labelled ` + regexp.QuoteMeta(tempns.RunLabel) + `=(\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not name the run:\n%s", stderr)
	}
	return m[1]
}

// An image that is not ours runs under the volume guard: above
// --volume-percentage (1: any node's disk is above it) the guard kills the
// gather at its first look; what it wrote is copied, and the run is
// partial. Such an image is bound to cluster-admin, as oc binds it.
func TestClientVolumeGuardOfOtherImages(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	r := runClient(t, bin, 4*time.Minute, "--image", img, "--timeout", "3m", "--volume-percentage", "1", "--", "/usr/bin/gather", "600")
	t.Logf("kubectl-must_gather took %s", r.took)
	if r.code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want %d\nstderr:\n%s\nstdout:\n%s", r.code, r.err, cli.ExitPartial, r.stderr.String(), r.stdout.String())
	}
	if r.took > 2*time.Minute {
		t.Errorf("the guard took %s to stop a gather that sleeps 10 minutes", r.took)
	}
	folder := imageFolder(t, r.dest)
	if _, err := os.Stat(filepath.Join(folder, "shell", "started")); err != nil {
		t.Errorf("what the gather wrote was not copied: %v", err)
	}
	if _, err := os.Stat(filepath.Join(folder, "shell", "done")); err == nil {
		t.Error("the gather was not stopped: it wrote done")
	}
	if log := read(t, filepath.Join(folder, "gather.logs")); !strings.Contains(log, "above --volume-percentage 1: stopping the gather") {
		t.Errorf("gather.logs does not carry the guard's line:\n%s", log)
	}
	if !strings.Contains(r.stderr.String(), "exited with code 137") {
		t.Errorf("stderr does not say the gather was killed:\n%s", r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "bound to cluster role cluster-admin (") {
		t.Errorf("the other image is not bound to cluster-admin:\n%s", r.stderr.String())
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))
}

// --node-selector runs one pod per selected node, on it, laid out as
// <dest>/<node>/<image>/; --host-network puts it on the host's network;
// -v shows client-go's requests.
func TestClientNodeSelectorHostNetwork(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	r := runClient(t, bin, 4*time.Minute, "--image", ref, "--timeout", "3m", "--keep", "-v", "6",
		"--node-selector", "kubernetes.io/hostname="+node+",node-role.kubernetes.io/control-plane", "--host-network",
		"--", "/usr/bin/gather", "inspect", "ns/default", "--dest-dir", "/must-gather")
	m := clientRunLine.FindStringSubmatch(r.stderr.String())
	if m != nil {
		ns := m[1]
		t.Cleanup(func() {
			_ = clustertest.Client(t).CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		})
	}
	if r.code != cli.ExitOK {
		t.Fatalf("exit code %d (%v), want 0\nstderr:\n%s", r.code, r.err, r.stderr.String())
	}
	if m == nil {
		t.Fatalf("stderr does not name the run's namespace:\n%s", r.stderr.String())
	}
	got, err := filepath.Glob(filepath.Join(r.dest, mustgather.ImageFolder(node), "*", "namespaces", "default", "default.yaml"))
	if err != nil || len(got) != 1 {
		t.Errorf("<dest>/<node>/<image>/namespaces/default/default.yaml: %v (%v)", got, err)
	}
	pods, err := clustertest.Client(t).CoreV1().Pods(m[1]).List(t.Context(), metav1.ListOptions{LabelSelector: "app=must-gather"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the kept gather pods: %v (%v)", pods, err)
	}
	p := pods.Items[0]
	if !p.Spec.HostNetwork || p.Spec.NodeName != node || p.Status.PodIP == "" || p.Status.PodIP != p.Status.HostIP {
		t.Errorf("pod on node %q, host network %v, pod IP %q, host IP %q", p.Spec.NodeName, p.Spec.HostNetwork, p.Status.PodIP, p.Status.HostIP)
	}
	if !regexp.MustCompile(`(?m)^.*GET.*/api/v1/.*200 OK.*$`).MatchString(r.stderr.String()) {
		t.Errorf("-v 6 shows no request of client-go:\n%.3000s", r.stderr.String())
	}
}

// --all-images also runs the image a ClusterOperator names in its
// must-gather annotation (bound to cluster-admin); the default image runs
// too. Not parallel: the ClusterOperator it makes would show in the other
// client tests' gathers.
func TestClientAllImages(t *testing.T) {
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	shell := shellImage(t)
	clustertest.InstallOpenShiftCRDs(t)
	dyn, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	name := "mgtk-e2e-all-images-" + randomSuffix()
	co := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
		"metadata": map[string]any{"name": name, "annotations": map[string]any{mustgather.MustGatherImageAnnotation: shell}},
		"spec":     map[string]any{},
	}}
	if _, err := clustertest.CreateWithRetry(t.Context(), dyn.Resource(coGVR), co); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(coGVR).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	r := runClient(t, bin, 4*time.Minute, "--all-images", "--timeout", "3m",
		"--", "/usr/bin/gather", "inspect", "ns/default", "--dest-dir", "/must-gather")
	if r.code != cli.ExitOK {
		t.Fatalf("exit code %d (%v), want 0\nstderr:\n%s", r.code, r.err, r.stderr.String())
	}
	for _, want := range []string{"--all-images: running " + ref + ", " + shell, "bound to cluster role cluster-admin (",
		"--all-images: the server serves no clusterserviceversions.operators.coreos.com"} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr.String())
		}
	}
	ours, _ := filepath.Glob(filepath.Join(r.dest, "*", "namespaces", "default", "default.yaml"))
	theirs, _ := filepath.Glob(filepath.Join(r.dest, "*", "shell", "done"))
	if len(ours) != 1 || len(theirs) != 1 || filepath.Dir(filepath.Dir(theirs[0])) == filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(ours[0])))) {
		t.Errorf("want the default image's and the annotated image's results in two folders: %v, %v", ours, theirs)
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))
}

// The run's time ends while a gather that ignores it still runs: the
// client stops it, copies what it wrote, exits 3 and leaves nothing.
func TestClientTimesOut(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	r := runClient(t, bin, 3*time.Minute, "--image", img, "--timeout", "45s", "--", "/usr/bin/gather", "600")
	t.Logf("kubectl-must_gather took %s", r.took)
	if r.code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want %d\nstderr:\n%s", r.code, r.err, cli.ExitPartial, r.stderr.String())
	}
	if r.took > 60*time.Second {
		t.Errorf("a run of --timeout 45s took %s", r.took)
	}
	for _, want := range []string{"stopping the gather of pod", "has ended"} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(imageFolder(t, r.dest), "shell", "started")); err != nil {
		t.Errorf("what the gather wrote was not copied: %v", err)
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))
}

// A second Ctrl-C while the client waits for a gather that will not stop:
// it gives up at once, and still deletes its namespace.
func TestClientInterruptedTwice(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	dest := filepath.Join(t.TempDir(), "must-gather")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--dest-dir", dest, "--image", img, "--kubeconfig", kubeconfigPath(t),
		"--timeout", "3m", "--", "/usr/bin/gather", "600", "ignore-term")
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first Ctrl-C once the gather has started (its log streams to
	// stdout), the second once the client is stopping it.
	go func() {
		sc := bufio.NewScanner(stdoutPipe)
		sent := false
		for sc.Scan() {
			if !sent && strings.Contains(sc.Text(), "shell gather: started") {
				_ = cmd.Process.Signal(os.Interrupt)
				sent = true
			}
		}
	}()
	var stderr strings.Builder
	var second time.Time
	sc := bufio.NewScanner(stderrPipe)
	for sc.Scan() {
		line := sc.Text()
		stderr.WriteString(line + "\n")
		if strings.Contains(line, "stopping the gather of pod") && second.IsZero() {
			second = time.Now()
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if second.IsZero() {
		t.Fatalf("the client never stopped the gather (%v):\n%s", err, stderr.String())
	}
	took := time.Since(second)
	t.Logf("the client ended %s after the second Ctrl-C (exit %d)", took.Round(100*time.Millisecond), cmd.ProcessState.ExitCode())
	if took > 20*time.Second {
		t.Errorf("the client took %s after the second Ctrl-C", took)
	}
	if cmd.ProcessState.ExitCode() == cli.ExitOK {
		t.Error("exit code 0 after two interrupts")
	}
	if !strings.Contains(stderr.String(), "interrupted again") {
		t.Errorf("stderr does not say it was interrupted again:\n%s", stderr.String())
	}
	assertRunGone(t, runIDOf(t, stderr.String()))
}

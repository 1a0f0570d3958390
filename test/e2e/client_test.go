package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/google/go-cmp/cmp"
	"github.com/must-gather/toolkit/pkg/analyze"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/mustgather"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/pkg/tempns"
	"github.com/must-gather/toolkit/test/clustertest"
)

// clientBinary builds kubectl-must_gather carrying ref as its own image (as
// `make build` carries IMAGE), so the client treats the e2e image as ours.
func clientBinary(t *testing.T, ref string) string {
	t.Helper()
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "kubectl-must_gather")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin,
		"-ldflags", "-X github.com/must-gather/toolkit/pkg/version.defaultImage="+ref, "./cmd/kubectl-must_gather")
	build.Dir = root
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kubectl-must_gather: %v\n%s", err, out)
	}
	return bin
}

var clientRunLine = regexp.MustCompile(`namespace (\S+), labelled ` + regexp.QuoteMeta(tempns.RunLabel) + `=(\S+)`)

// clientRun is one finished run of the client.
type clientRun struct {
	dest           string
	stdout, stderr bytes.Buffer
	code           int
	err            error
	took           time.Duration
}

// runClient runs the client binary with args and --dest-dir, within limit.
func runClient(t *testing.T, bin string, limit time.Duration, args ...string) *clientRun {
	t.Helper()
	return runClientWith(t, bin, kubeconfigPath(t), filepath.Join(t.TempDir(), "must-gather"), limit, args...)
}

// runClientWith runs the client binary with args, --kubeconfig and
// --dest-dir, within limit.
func runClientWith(t *testing.T, bin, kubeconfig, dest string, limit time.Duration, args ...string) *clientRun {
	t.Helper()
	r := &clientRun{dest: dest}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--dest-dir", r.dest, "--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	started := time.Now()
	r.err = cmd.Run()
	r.took = time.Since(started).Round(time.Second)
	r.code = cmd.ProcessState.ExitCode()
	return r
}

// The client runs our image in a temporary namespace and copies its result
// back in oc's layout; nothing of the run is left in the cluster. Our image
// is bound to the shipped least-privilege roles: side by side, a run bound
// to cluster-admin (--cluster-role) gathers no kind of data it lacks, and
// it meets no refusal (every step ok, no "forbidden" in its log or
// manifest, the node collectors read through debug pods).
func TestClientGathers(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)

	var run, admin *clientRun
	var wg sync.WaitGroup
	wg.Go(func() { run = runClient(t, bin, 6*time.Minute, "--image", ref, "--timeout", "5m") })
	wg.Go(func() {
		admin = runClient(t, bin, 6*time.Minute, "--image", ref, "--timeout", "5m", "--cluster-role", "cluster-admin")
	})
	wg.Wait()
	t.Logf("kubectl-must_gather took %s (least privilege), %s (cluster-admin)", run.took, admin.took)
	for _, r := range []*clientRun{run, admin} {
		if r.code != cli.ExitOK {
			t.Fatalf("exit code %d (%v), want 0\nstderr:\n%s\nstdout:\n%s", r.code, r.err, r.stderr.String(), r.stdout.String())
		}
	}
	dest, stdout, stderr := run.dest, &run.stdout, &run.stderr

	clientLog := read(t, filepath.Join(dest, "must-gather.logs"))
	for _, want := range []string{"cluster role " + mustgather.ReadRole + " ", "cluster role " + mustgather.DebugPodsRole + " ",
		"bound to cluster role " + mustgather.DebugPodsRole + " in namespace ", "bound to cluster role " + mustgather.ReadRole + " ("} {
		if !strings.Contains(clientLog, want) {
			t.Errorf("must-gather.logs does not say %q:\n%s", want, clientLog)
		}
	}
	if adminLog := read(t, filepath.Join(admin.dest, "must-gather.logs")); !strings.Contains(adminLog, "bound to cluster role cluster-admin (") {
		t.Errorf("the --cluster-role run's must-gather.logs does not name cluster-admin:\n%s", adminLog)
	}
	// The roles stay for later runs.
	for _, name := range []string{mustgather.ReadRole, mustgather.DebugPodsRole} {
		if _, err := clustertest.Client(t).RbacV1().ClusterRoles().Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			t.Errorf("cluster role %s after the run: %v", name, err)
		}
	}
	least, full := imageFolder(t, dest), imageFolder(t, admin.dest)
	for _, f := range []string{steps.ManifestFile, "gather-run.log"} {
		if text := read(t, filepath.Join(least, f)); strings.Contains(strings.ToLower(text), "forbidden") {
			t.Errorf("%s of the least-privilege run says forbidden:\n%s", f, text)
		}
	}
	runLog := read(t, filepath.Join(least, "gather-run.log"))
	for _, collector := range []string{"audit-logs", "node-logs"} {
		if !regexp.MustCompile(collector + `: \S+: read through a debug pod`).MatchString(runLog) {
			t.Errorf("gather-run.log: %s did not read through a debug pod:\n%s", collector, runLog)
		}
	}
	if strings.Contains(runLog, "node log proxy") {
		t.Errorf("gather-run.log: a node collector used the node log proxy:\n%s", runLog)
	}
	have := dataKinds(t, least)
	var missing []string
	for k := range dataKinds(t, full) {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the least-privilege run lacks what the cluster-admin run gathered: %v", missing)
	}
	t.Logf("%d kinds of data in the least-privilege run", len(have))

	m := clientRunLine.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not name the run's namespace:\n%s", stderr.String())
	}
	ns, runID := m[1], m[2]
	assertRunGone(t, runID)

	if m := clientRunLine.FindStringSubmatch(admin.stderr.String()); m == nil {
		t.Errorf("the --cluster-role run's stderr does not name its namespace:\n%s", admin.stderr.String())
	} else {
		assertRunGone(t, m[2])
	}

	folder := least
	if name := filepath.Base(folder); name != mustgather.ImageFolder(name) || !strings.Contains(name, "sha256") {
		t.Errorf("image folder %q is not an image ID in oc's form", name)
	}
	for _, f := range []string{"version", "gather-manifest.json", "gather-run.log", "gather.logs",
		"namespaces/kube-system/kube-system.yaml", "cluster-scoped-resources", "audit_logs/kube-apiserver",
		"host_service_logs"} {
		if _, err := os.Stat(filepath.Join(folder, f)); err != nil {
			t.Errorf("missing %s in the image folder", f)
		}
	}
	for _, f := range []string{"must-gather.logs", "timestamp", "event-filter.html"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s in the destination", f)
		}
	}
	// The page of every image's events: the rows come from the image
	// folder's events files, and it loads nothing.
	page := read(t, filepath.Join(dest, "event-filter.html"))
	if strings.Contains(page, "src=\"http") || strings.Contains(page, "href=\"http") {
		t.Error("event-filter.html loads something from the network")
	}
	if strings.Count(page, "<tr") <= 2 { // the header and the row template: no event (the node's are in default)
		t.Error("event-filter.html of the destination shows no event")
	}
	if own := read(t, filepath.Join(folder, "event-filter.html")); strings.Count(own, "<tr") != strings.Count(page, "<tr") {
		t.Errorf("the destination's event page has %d rows, the image's own %d", strings.Count(page, "<tr"), strings.Count(own, "<tr"))
	}
	// The destination's analysis is the image's own (the same build made
	// both), its paths under the image folder.
	var top, own analyze.Report
	if err := errors.Join(json.Unmarshal([]byte(read(t, filepath.Join(dest, analyze.JSONFile))), &top),
		json.Unmarshal([]byte(read(t, filepath.Join(folder, analyze.JSONFile))), &own)); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(folder)
	for i := range own.Bundles {
		own.Bundles[i].Path = path.Join(name, own.Bundles[i].Path)
	}
	for i := range own.Findings {
		for j, f := range own.Findings[i].Files {
			own.Findings[i].Files[j] = path.Join(name, f)
		}
	}
	if diff := cmp.Diff(own.Findings, top.Findings); diff != "" || len(top.Bundles) != 1 || top.Bundles[0].Path != name {
		t.Errorf("the destination's analysis is not the image's under %s: bundles %+v, findings (-image's +destination's):\n%s", name, top.Bundles, diff)
	}
	if _, err := os.Stat(filepath.Join(dest, analyze.PageFile)); err != nil {
		t.Errorf("no overview page in the destination: %v", err)
	}
	var man steps.Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(folder, steps.ManifestFile))), &man); err != nil {
		t.Fatal(err)
	}
	if man.Status != steps.RunOK {
		t.Errorf("manifest status %q, want %q", man.Status, steps.RunOK)
	}
	if lines := strings.Split(strings.TrimSpace(read(t, filepath.Join(dest, "timestamp"))), "\n"); len(lines) != 2 {
		t.Errorf("timestamp = %q, want start and end", lines)
	}
	gatherLog := read(t, filepath.Join(folder, "gather.logs"))
	if !strings.Contains(gatherLog, "result in /must-gather") {
		t.Errorf("gather.logs lacks the gather's last line:\n%s", gatherLog)
	}
	pod := regexp.MustCompile(`pod (\S+) runs `).FindStringSubmatch(stderr.String())
	if pod == nil || !strings.Contains(stdout.String(), "["+pod[1]+"] ") {
		t.Errorf("stdout does not carry the gather's log prefixed with its pod:\n%.2000s", stdout.String())
	}
	if !strings.Contains(clientLog, "namespace "+ns+", labelled") || !strings.Contains(clientLog, "deleted namespace "+ns) {
		t.Errorf("must-gather.logs:\n%s", clientLog)
	}
	// The cluster's summary, at the start and at the end, to paste into a
	// support case.
	for _, want := range []string{"cluster summary at the start:", "cluster summary at the end:"} {
		if !strings.Contains(clientLog, want) {
			t.Errorf("must-gather.logs lacks %q:\n%s", want, clientLog)
		}
	}
	// (OpenShift's form when the tests have installed ClusterOperators.)
	if !strings.Contains(clientLog, "(Kubernetes v1.37.2)") && !strings.Contains(clientLog, "Kubernetes v1.37.2, cluster ID ") {
		t.Errorf("must-gather.logs does not name the server's version in its summary:\n%s", clientLog)
	}
}

// fixedNamespaces are the namespaces every run of inspect --cluster
// gathers on this cluster (others come and go with parallel tests).
var fixedNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// dataKinds are the kinds of data of a gather's result: each top-level
// file, each cluster-scoped type, each type listed in the fixed namespaces
// (their pods' manifests and logs as one kind each), each audit log
// component and each host service log.
func dataKinds(t *testing.T, root string) map[string]bool {
	t.Helper()
	kinds := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		key := parts[0]
		switch {
		case parts[0] == "namespaces" && len(parts) > 2:
			if !fixedNamespaces[parts[1]] {
				return nil
			}
			key = strings.Join(parts[:min(len(parts), 4)], "/")
			if parts[2] == "pods" {
				key = "namespaces/" + parts[1] + "/pods: manifest"
				if slices.Contains(parts, "logs") {
					key = "namespaces/" + parts[1] + "/pods: " + parts[len(parts)-1]
				}
			}
		case parts[0] == "cluster-scoped-resources" || parts[0] == "audit_logs":
			key = strings.Join(parts[:min(len(parts), 3)], "/")
			if parts[0] == "audit_logs" {
				key = strings.Join(parts[:min(len(parts), 2)], "/")
			}
		case parts[0] == "host_service_logs":
			key = rel
		}
		kinds[key] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

// imageFolder is the one image folder of a client's destination.
func imageFolder(t *testing.T, dest string) string {
	t.Helper()
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			folders = append(folders, e.Name())
		}
	}
	if len(folders) != 1 {
		t.Fatalf("image folders %v in %s, want one", folders, dest)
	}
	return filepath.Join(dest, folders[0])
}

// assertRunGone waits (within a minute: a namespace terminates) until no
// namespace and no cluster role binding of the run is left.
func assertRunGone(t *testing.T, runID string) {
	t.Helper()
	cs := clustertest.Client(t)
	sel := metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + runID}
	var left []string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		left = nil
		nss, err := cs.CoreV1().Namespaces().List(ctx, sel)
		if err != nil {
			return false, err
		}
		for _, n := range nss.Items {
			left = append(left, "namespace "+n.Name)
		}
		crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
		if err != nil {
			return false, err
		}
		for _, b := range crbs.Items {
			left = append(left, "clusterrolebinding "+b.Name)
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Errorf("left of run %s after a minute: %v (%v)", runID, left, err)
	}
}

// Ctrl-C while the gather runs: the client stops the gather, copies what it
// has written (its manifest too), deletes its namespace and exits 3
// (partial).
func TestClientInterrupted(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	dest := filepath.Join(t.TempDir(), "must-gather")

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--dest-dir", dest, "--image", ref, "--kubeconfig", kubeconfigPath(t), "--timeout", "3m")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Inspect has written its data once its step is ok; the node
	// collectors' steps still take seconds after it.
	var out strings.Builder
	sent := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if !sent && strings.Contains(line, "10-inspect:7: ok in") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	if !sent {
		t.Fatalf("the gather's inspect step never finished (%v)\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want %d\nstderr:\n%s\nstdout:\n%s", code, err, cli.ExitPartial, stderr.String(), out.String())
	}
	t.Logf("stderr of the interrupted client:\n%s", stderr.String())
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the gather was interrupted:\n%s", stderr.String())
	}
	m := clientRunLine.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not name the run's namespace:\n%s", stderr.String())
	}
	assertRunGone(t, m[2])
	folders, err := filepath.Glob(filepath.Join(dest, "*", "namespaces", "kube-system", "kube-system.yaml"))
	if err != nil || len(folders) != 1 {
		t.Errorf("the inspect data was not copied back (%v): %v", err, folders)
	}
	// The gather was stopped before the copy: it ended on its own terms and
	// wrote its manifest, which came back with the data.
	if !regexp.MustCompile(`the gather of pod \S+ has ended`).MatchString(stderr.String()) {
		t.Errorf("stderr does not say the gather ended before the copy:\n%s", stderr.String())
	}
	manifests, _ := filepath.Glob(filepath.Join(dest, "*", steps.ManifestFile))
	if len(manifests) != 1 {
		t.Fatalf("the gather's manifest was not copied back: %v", manifests)
	}
	var man steps.Manifest
	if err := json.Unmarshal([]byte(read(t, manifests[0])), &man); err != nil {
		t.Fatal(err)
	}
	if man.Status == steps.RunOK || man.End == nil {
		t.Errorf("manifest of the stopped gather: status %q, end %v; want it ended, not ok", man.Status, man.End)
	}
	for _, f := range []string{"must-gather.logs", "timestamp"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s in the destination", f)
		}
	}
}

// kubectl finds the client on PATH by its name and runs it as
// `kubectl must-gather`: a kubectl of the server's version, the one the
// harness builds (the machine's may be outside the version skew).
func TestClientAsKubectlPlugin(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	kubectl := clustertest.Kubectl(t)
	ver, err := exec.CommandContext(t.Context(), kubectl, "version", "--kubeconfig", kubeconfigPath(t), "-o", "json").Output()
	if err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	var v struct {
		Client struct{ GitVersion string } `json:"clientVersion"`
		Server struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal(ver, &v); err != nil {
		t.Fatalf("kubectl version: %v\n%s", err, ver)
	}
	if v.Client.GitVersion == "" || v.Client.GitVersion != v.Server.GitVersion {
		t.Fatalf("kubectl %q against server %q: want the server's version", v.Client.GitVersion, v.Server.GitVersion)
	}
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	dest := filepath.Join(t.TempDir(), "must-gather")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "must-gather", "--dest-dir", dest, "--kubeconfig", kubeconfigPath(t), "--timeout", "3m")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != cli.ExitOK {
		t.Fatalf("kubectl must-gather: exit code %d (%v), want 0\n%s", code, err, out)
	}
	// No --image: the default is the image the build carries.
	got, err := filepath.Glob(filepath.Join(dest, "*", "version"))
	if err != nil || len(got) != 1 {
		t.Errorf("no version file in an image folder (%v): %v\n%s", err, got, out)
	}
	m := clientRunLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("the output does not name the run's namespace:\n%s", out)
	}
	assertRunGone(t, m[2])
}

// An image that cannot start (an unknown reference): the client falls back
// to gathering from here what needs no pod, says so, exits 4, and leaves
// nothing in the cluster.
func TestClientFallsBack(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	dest := filepath.Join(t.TempDir(), "must-gather")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--dest-dir", dest, "--image", "localhost/mgtk/absent:none", "--kubeconfig", kubeconfigPath(t), "--timeout", "2m")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	err := cmd.Run()
	t.Logf("kubectl-must_gather took %s", time.Since(started).Round(time.Second))
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != cli.ExitFallback {
		t.Fatalf("kubectl-must_gather: %v, want exit code %d\n%s", err, cli.ExitFallback, stderr.String())
	}
	matches, _ := filepath.Glob(filepath.Join(dest, "inspect.local.*"))
	if len(matches) != 1 {
		t.Fatalf("fall-back folders %v, want one", matches)
	}
	for _, f := range []string{"namespaces/kube-system/kube-system.yaml", "cluster-scoped-resources/core/nodes", "timestamp", "event-filter.html"} {
		if _, err := os.Stat(filepath.Join(matches[0], f)); err != nil {
			t.Errorf("the fall-back lacks %s: %v", f, err)
		}
	}
	clientLog := read(t, filepath.Join(dest, "must-gather.logs"))
	for _, want := range []string{"WARNING: no must-gather pod could run", "ErrImagePull", "this is NOT a full must-gather"} {
		if !strings.Contains(clientLog, want) || !strings.Contains(stderr.String(), want) {
			t.Errorf("must-gather.logs and stderr do not both say %q:\n%s", want, clientLog)
		}
	}
	if m := clientRunLine.FindStringSubmatch(stderr.String()); m == nil {
		t.Errorf("stderr does not name the run:\n%s", stderr.String())
	} else {
		assertRunGone(t, m[2])
	}
}

// --run-namespace: the gather pods run in a namespace of the user's; what
// the run made there (its pods, its service account) and its binding go at
// the end, and the namespace stays.
func TestClientRunNamespace(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	dest := filepath.Join(t.TempDir(), "must-gather")
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--dest-dir", dest, "--image", ref, "--kubeconfig", kubeconfigPath(t), "--timeout", "5m", "--run-namespace", ns)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl-must_gather --run-namespace: %v\n%s", err, stderr.String())
	}
	matches, _ := filepath.Glob(filepath.Join(dest, "*", "version"))
	if len(matches) != 1 {
		t.Errorf("image folders with a version file: %v", matches)
	}
	cs := clustertest.Client(t)
	if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Errorf("the user's namespace is gone: %v", err)
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=must-gather"})
	if err != nil || len(pods.Items) != 0 {
		t.Errorf("gather pods left in %s: %v (%v)", ns, pods, err)
	}
	sas, err := cs.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{LabelSelector: tempns.RunLabel})
	if err != nil || len(sas.Items) != 0 {
		t.Errorf("service accounts of the run left in %s: %v (%v)", ns, sas.Items, err)
	}
	m := regexp.MustCompile(`labelled ` + regexp.QuoteMeta(tempns.RunLabel) + `=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not name the run:\n%s", stderr.String())
	}
	assertRunGone(t, m[1])
}

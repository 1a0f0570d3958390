package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/test/clustertest"
)

// serving is a running `gather serve`, or a command that runs one.
type serving struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
	cancel context.CancelFunc
	once   sync.Once
}

// startServing starts name with args in dir; stop (or the end of the test)
// sends it SIGTERM, as Ctrl-C would, and waits for it.
func startServing(t *testing.T, dir, name string, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{cmd: exec.CommandContext(ctx, name, args...), cancel: cancel}
	s.cmd.Dir = dir
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.Stderr = &s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.out = bufio.NewReader(out)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("%s:\n%s", s.cmd, s.stderr.String())
		}
	})
	return s
}

// line is the next line the command prints (stdout), without its newline.
func (s *serving) line(t *testing.T) string {
	t.Helper()
	l, err := s.out.ReadString('\n')
	if err != nil {
		s.stop()
		t.Fatalf("%s printed no line (%v):\n%s", s.cmd, err, s.stderr.String())
	}
	return strings.TrimSpace(l)
}

// stop sends SIGTERM, waits for the command and returns its exit code.
func (s *serving) stop() int {
	s.once.Do(func() {
		s.cancel()
		_ = s.cmd.Wait() // the context's error: it was cancelled
	})
	return s.cmd.ProcessState.ExitCode()
}

// startServe runs `gather serve path` until the test ends and returns the
// kubeconfig it wrote.
func startServe(t *testing.T, path string) string {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "serve.kubeconfig")
	s := startServing(t, "", gatherBinary(t), "serve", path, "--kubeconfig-out", kubeconfig)
	if got := s.line(t); got != kubeconfig {
		t.Fatalf("gather serve printed %q, want the kubeconfig %q", got, kubeconfig)
	}
	go func() { _, _ = io.Copy(io.Discard, s.out) }()
	fi, err := os.Stat(kubeconfig)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig %s: %v, mode %v, want 0600", kubeconfig, err, fi.Mode())
	}
	return kubeconfig
}

// kubectlOn runs the harness's kubectl with the kubeconfig and returns its
// stdout and stderr.
func kubectlOn(t *testing.T, kubeconfig string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, clustertest.Kubectl(t), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func mustKubectl(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	out, errOut, err := kubectlOn(t, kubeconfig, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// ServedPods serves the bundle at path (a folder or an archive) and returns
// the pods `kubectl get pods -A` shows there, as NAMESPACE/NAME, sorted.
func ServedPods(t *testing.T, path string) []string {
	t.Helper()
	kubeconfig := startServe(t, path)
	out := mustKubectl(t, kubeconfig, "get", "pods", "-A", "--no-headers")
	var pods []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			pods = append(pods, f[0]+"/"+f[1])
		}
	}
	slices.Sort(pods)
	return pods
}

// fileObjects reads the objects of a bundle file (a list's items, or the
// object), without the managedFields kubectl does not show.
func fileObjects(t *testing.T, path string) []map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(read(t, path)), &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	items, ok := obj["items"].([]any)
	if !ok {
		items = []any{obj}
	}
	var out []map[string]any
	for _, it := range items {
		m := it.(map[string]any)
		unstructured.RemoveNestedField(m, "metadata", "managedFields")
		out = append(out, m)
	}
	return out
}

// withoutTimestamps drops the timestamp a gather puts before each log line.
func withoutTimestamps(log string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(log, "\n") {
		if i := strings.IndexByte(line, ' '); i > 0 {
			if _, err := time.Parse(time.RFC3339Nano, line[:i]); err == nil {
				line = line[i+1:]
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

// A bundle gathered from the cluster (a pod that restarted, a custom
// resource, events) is served, as a folder and as an archive, and kubectl
// of the server's version reads it as it would the cluster.
func TestServeAnswersKubectl(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	cfg := clustertest.Config(t)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := clustertest.Namespace(t)

	group := "serve-" + randomSuffix() + ".example.com"
	crd := simpleCRD(group, "gizmos", "Gizmo", "Namespaced")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	versions[0].(map[string]any)["additionalPrinterColumns"] = []any{
		map[string]any{"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
		map[string]any{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
	}
	if err := unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, func() error {
		_, err := dyn.Resource(crdGVR).Create(t.Context(), crd, metav1.CreateOptions{})
		return err
	})
	t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{}) })
	gizmos := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gizmos"}
	gizmo := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Gizmo",
		"metadata": map[string]any{"name": "g1", "namespace": ns}, "spec": map[string]any{"size": int64(7)}}}
	if err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(gizmos).Namespace(ns).Create(ctx, gizmo, metav1.CreateOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatalf("creating a Gizmo: %v", err)
	}

	// A pod that exits and is restarted: it has a previous log.
	restarting := clustertest.TestPod(t, ns, "restarting", "exit-after", "1s", "1", "run of the restarting pod")
	restarting.Spec.RestartPolicy = corev1.RestartPolicyAlways
	restarting.Labels = map[string]string{"app": "serve"}
	createPod(t, restarting)
	steady := clustertest.TestPod(t, ns, "steady", "log", "hello from steady")
	createPod(t, steady)
	clustertest.WaitForPod(t, ns, "steady", time.Minute, clustertest.Running)
	clustertest.WaitForPod(t, ns, "restarting", time.Minute, func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})

	dest, log, err := runInspect(t, cfg, inspect.Config{APIGroups: []string{group}}, "ns/"+ns, "nodes/"+node)
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, log)
	}
	archive := filepath.Join(t.TempDir(), "bundle"+bundle.Ext)
	if _, err := bundle.Write(t.Context(), dest, archive, bundle.Options{}); err != nil {
		t.Fatal(err)
	}
	nsDir := filepath.Join(dest, "namespaces", ns)

	for _, tc := range []struct{ name, path string }{{"folder", dest}, {"archive", archive}} {
		t.Run(tc.name, func(t *testing.T) {
			kc := startServe(t, tc.path)

			// get pods -A: the pods of the bundle, with their restarts.
			out := mustKubectl(t, kc, "get", "pods", "-A")
			var got []string
			for _, line := range strings.Split(out, "\n")[1:] {
				if f := strings.Fields(line); len(f) >= 6 && f[0] == ns {
					got = append(got, f[1]+" "+f[4])
				}
			}
			var want []string
			for _, pod := range fileObjects(t, filepath.Join(nsDir, "core", "pods.yaml")) {
				name, _, _ := unstructured.NestedString(pod, "metadata", "name")
				statuses, _, _ := unstructured.NestedSlice(pod, "status", "containerStatuses")
				n, _, _ := unstructured.NestedFieldNoCopy(statuses[0].(map[string]any), "restartCount")
				want = append(want, fmt.Sprintf("%s %v", name, n))
			}
			if diff := cmp.Diff(want, got); diff != "" || !strings.HasPrefix(out, "NAMESPACE") {
				t.Errorf("get pods -A: pods of %s and their RESTARTS (-want +got):\n%s\n%s", ns, diff, out)
			}

			// get nodes -o yaml: the nodes of the files, as they are.
			var list struct{ Items []map[string]any }
			if err := yaml.Unmarshal([]byte(mustKubectl(t, kc, "get", "nodes", "-o", "yaml")), &list); err != nil {
				t.Fatal(err)
			}
			nodeFiles, _ := filepath.Glob(filepath.Join(dest, "cluster-scoped-resources", "core", "nodes", "*.yaml"))
			var wantNodes []map[string]any
			for _, f := range nodeFiles {
				wantNodes = append(wantNodes, fileObjects(t, f)...)
			}
			if len(wantNodes) == 0 {
				t.Error("the bundle holds no node")
			}
			if diff := cmp.Diff(wantNodes, list.Items); diff != "" {
				t.Errorf("get nodes -o yaml (-files +served):\n%s", diff)
			}

			// logs, current and previous, as the files hold them.
			logDir := filepath.Join(nsDir, "pods", "restarting", "main", "main", "logs")
			for _, prev := range []bool{false, true} {
				args, file := []string{"logs", "-n", ns, "restarting"}, "current.log"
				if prev {
					args, file = append(args, "--previous"), "previous.log"
				}
				want := withoutTimestamps(read(t, filepath.Join(logDir, file)))
				if got := mustKubectl(t, kc, args...); got != want || !strings.Contains(got, "run of the restarting pod") {
					t.Errorf("kubectl %s = %q, want %q", strings.Join(args, " "), got, want)
				}
			}
			if got := mustKubectl(t, kc, "logs", "-n", ns, "steady", "--tail", "1"); got != "hello from steady\n" {
				t.Errorf("kubectl logs --tail 1 = %q", got)
			}

			// get events -n NS: one row per event of the file.
			events := fileObjects(t, filepath.Join(nsDir, "core", "events.yaml"))
			rows := strings.Split(strings.TrimSpace(mustKubectl(t, kc, "get", "events", "-n", ns, "--no-headers")), "\n")
			if len(events) == 0 || len(rows) != len(events) {
				t.Errorf("get events -n %s: %d rows, the file has %d events:\n%s", ns, len(rows), len(events), strings.Join(rows, "\n"))
			}

			// describe pod: the pod and its events (found by field selector).
			desc := mustKubectl(t, kc, "describe", "pod", "-n", ns, "restarting")
			var reasons []string
			for _, e := range events {
				if name, _, _ := unstructured.NestedString(e, "involvedObject", "name"); name == "restarting" {
					r, _, _ := unstructured.NestedString(e, "reason")
					reasons = append(reasons, r)
				}
			}
			if !strings.Contains(desc, "Name:") || !strings.Contains(desc, "restarting") || !strings.Contains(desc, "Restart Count:") || len(reasons) == 0 {
				t.Errorf("describe pod: no pod or no events in the file (%v):\n%s", reasons, desc)
			}
			for _, r := range reasons {
				if !strings.Contains(desc[strings.Index(desc, "Events:"):], r) {
					t.Errorf("describe pod: event %s missing:\n%s", r, desc)
				}
			}

			// A custom resource, with its CRD's printer columns, and as YAML.
			out = mustKubectl(t, kc, "get", "gizmos", "-n", ns)
			if f := strings.Fields(strings.Split(out, "\n")[1]); len(f) < 3 || f[0] != "g1" || f[1] != "7" || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "SIZE") {
				t.Errorf("get gizmos: want g1 of size 7:\n%s", out)
			}
			var served map[string]any
			if err := yaml.Unmarshal([]byte(mustKubectl(t, kc, "get", "gizmo.v1."+group, "g1", "-n", ns, "-o", "yaml")), &served); err != nil {
				t.Fatal(err)
			}
			crFile := fileObjects(t, filepath.Join(nsDir, group, "gizmos", "g1.yaml"))[0]
			if diff := cmp.Diff(crFile, served); diff != "" {
				t.Errorf("get gizmo -o yaml (-file +served):\n%s", diff)
			}
			if out := mustKubectl(t, kc, "api-resources", "--api-group", group, "--no-headers"); !strings.HasPrefix(out, "gizmos") {
				t.Errorf("api-resources --api-group %s: %q", group, out)
			}
			if out := mustKubectl(t, kc, "get", "pods", "-n", ns, "-l", "app=serve", "-o", "name"); out != "pod/restarting\n" {
				t.Errorf("get pods -l app=serve = %q", out)
			}

			// Writes are refused with a Status.
			_, errOut, err := kubectlOn(t, kc, "delete", "pod", "-n", ns, "steady")
			if err == nil || !strings.Contains(errOut, "MethodNotAllowed") {
				t.Errorf("kubectl delete: %v, want a MethodNotAllowed Status:\n%s", err, errOut)
			}
		})
	}
	if got, want := ServedPods(t, archive), []string{ns + "/restarting", ns + "/steady"}; !slices.Equal(got, want) {
		t.Errorf("ServedPods = %v, want %v", got, want)
	}
}

// The command of docs/serve.md runs as written (in a folder with the binary
// at _output/bin/gather and a bundle at ./must-gather); the command it
// prints lists the bundle's pod, and its default kubeconfig, in the
// temporary folder, is removed when serve stops.
func TestServeAsDocumented(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "_output", "bin"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(gatherBinary(t), filepath.Join(dir, "_output", "bin", "gather")); err != nil {
		t.Fatal(err)
	}
	podDir := filepath.Join(dir, "must-gather", "namespaces", "demo", "pods", "web-1")
	if err := os.MkdirAll(podDir, 0o750); err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: demo}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Running}\n"
	if err := os.WriteFile(filepath.Join(podDir, "web-1.yaml"), []byte(pod), 0o640); err != nil {
		t.Fatal(err)
	}
	text := documented(t, "docs/serve.md", "_output/bin/gather serve")
	s := startServing(t, dir, "bash", "-c", text)
	kubeconfig, hint := s.line(t), s.line(t)
	if filepath.Dir(kubeconfig) != filepath.Clean(os.TempDir()) {
		t.Errorf("default kubeconfig %s: want a file in %s", kubeconfig, os.TempDir())
	}
	env := environ(nil, "PATH="+filepath.Dir(clustertest.Kubectl(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	got, code := runShell(t, dir, env, hint)
	if code != 0 || !strings.Contains(got, "demo") || !strings.Contains(got, "web-1") {
		t.Errorf("%s: exit %d\n%s", hint, code, got)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("%s stopped by SIGTERM: exit code %d, want 0\n%s", text, code, s.stderr.String())
	}
	if _, err := os.Stat(kubeconfig); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the default kubeconfig %s is still there after serve stopped (%v)", kubeconfig, err)
	}
}

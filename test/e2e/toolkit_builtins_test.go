package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/test/clustertest"
)

// installGroup installs a namespaced type widgets.GROUP and a
// cluster-scoped type gizmos.sub.GROUP (GROUP unique to the test), with a
// widget w1 in ns and a gizmo gz1, and removes the CRDs after the test.
func installGroup(t *testing.T, ns string) string {
	t.Helper()
	group := "kit" + randomSuffix() + ".e2e.mgtk.io"
	dc, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ group, plural, kind, scope, ns, name string }{
		{group, "widgets", "Widget", "Namespaced", ns, "w1"},
		{"sub." + group, "gizmos", "Gizmo", "Cluster", "", "gz1"},
	} {
		crd := simpleCRD(c.group, c.plural, c.kind, c.scope)
		if _, err := dc.Resource(crdGVR).Create(t.Context(), crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := dc.Resource(crdGVR).Delete(ctx, crd.GetName(), metav1.DeleteOptions{}); err != nil {
				t.Errorf("deleting CRD %s: %v", crd.GetName(), err)
			}
		})
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": c.group + "/v1", "kind": c.kind,
			"metadata": map[string]any{"name": c.name}, "spec": map[string]any{"size": int64(3)}}}
		gvr := schema.GroupVersionResource{Group: c.group, Version: "v1", Resource: c.plural}
		if _, err := clustertest.CreateWithRetry(t.Context(), dc.Resource(gvr).Namespace(c.ns), obj); err != nil {
			t.Fatalf("creating %s %s: %v", c.kind, c.name, err)
		}
	}
	return group
}

// toolkitPods starts, in ns: web-0 and web-1 (app=web, the test image,
// which has no tar); api, serving HTTPS on 8443 behind the service api
// (port 443); and, with the shell image (busybox: sh and tar), shell, whose
// /data holds a file with a password line and a symbolic link.
func toolkitPods(t *testing.T, ns string) {
	t.Helper()
	for _, name := range []string{"web-0", "web-1"} {
		p := clustertest.TestPod(t, ns, name, "log", "hello from "+name)
		p.Labels = map[string]string{"app": "web"}
		createPod(t, p)
	}
	api := clustertest.TestPod(t, ns, "api", "aggregated-api", ":8443", "thing-a")
	api.Labels = map[string]string{"app": "api"}
	createPod(t, api)
	mustCreate(t, func() error {
		_, err := clustertest.Client(t).CoreV1().Services(ns).Create(t.Context(), &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "api"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "api"},
				Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(8443)}}},
		}, metav1.CreateOptions{})
		return err
	})
	shell := clustertest.TestPod(t, ns, "shell")
	shell.Spec.Containers[0].Image = shellImage(t)
	shell.Spec.Containers[0].Command = []string{"/bin/sh", "-c",
		"mkdir -p /data/sub && printf 'db.host=db\\npassword=kit15-planted-pw\\n' > /data/sub/app.properties && " +
			"ln -s /etc/passwd /data/passwd-link && touch /tmp/ready && exec sleep 3600"}
	createPod(t, shell)
	for _, name := range []string{"web-0", "web-1", "api", "shell"} {
		clustertest.WaitForPod(t, ns, name, 2*time.Minute, clustertest.Running)
	}
	// The shell pod writes its files after it starts running.
	deadline := time.Now().Add(30 * time.Second)
	for !bytes.Contains(clustertest.Exec(t, ns, "shell", "main", "ls", "/tmp"), []byte("ready")) {
		if time.Now().After(deadline) {
			t.Fatal("the shell pod never wrote its files")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The built-ins a product image uses instead of oc, as gather.d lines of
// one run: an API group inspected, a command's output from pods by
// selector, raw API paths (the apiserver's /metrics, a service's and a
// pod's proxy paths), a directory copied out of a pod. The lines that
// cannot work (a command in a pod that does not exist, in a container
// that does not exist, a command that fails, one that hangs past its
// --timeout, a copy from a container without tar, a proxy path of a
// service that does not exist) are recorded as failed steps, and every
// other step completes.
func TestToolkitBuiltinsInAGatherRun(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	group := installGroup(t, ns)
	toolkitPods(t, ns)

	lines := []struct {
		line, status string
		errHas       string // in the step's error
	}{
		{line: "inspect --api-group ." + group, status: "ok"},
		{line: "exec -n " + ns + " -l app=web --output web/hostname.txt -- /testimage cat /etc/hostname", status: "ok"},
		{line: "exec -n " + ns + " no-such-pod --output missing/out.txt -- /testimage cat /etc/hostname", status: "failed",
			errHas: "pod " + ns + "/no-such-pod does not exist"},
		{line: "exec -n " + ns + " web-0 -c no-such-container --output nocontainer/out.txt -- ls", status: "failed",
			errHas: `has no container "no-such-container"`},
		{line: "exec -n " + ns + " web-0 --output fails/out.txt -- /testimage exit 3 partial-line", status: "failed",
			errHas: "command terminated with exit code 3"},
		{line: "exec -n " + ns + " web-0 --timeout 3s --output hangs/out.txt -- /testimage", status: "failed",
			errHas: "no end within --timeout 3s"},
		{line: "raw /metrics --output raw/apiserver-metrics.txt", status: "ok"},
		{line: "raw /api/v1/namespaces/" + ns + "/services/https:api:443/proxy/healthz --output raw/api-healthz.json", status: "ok"},
		{line: "raw /api/v1/namespaces/" + ns + "/pods/https:api:8443/proxy/apis/evil.e2e.mgtk.io/v1/things --output raw/things.json", status: "ok"},
		{line: "raw /api/v1/namespaces/" + ns + "/services/https:no-such-service:443/proxy/healthz --output raw/absent.json", status: "failed",
			errHas: "fetching /api/v1/namespaces/" + ns + "/services/https:no-such-service:443/proxy/healthz"},
		{line: "cp -n " + ns + " shell /data shell-data", status: "ok"},
		{line: "cp -n " + ns + " shell /no/such/path missing-path", status: "failed", errHas: "command terminated with exit code"},
		{line: "cp -n " + ns + " -l app=web /etc/hostname no-tar", status: "failed",
			errHas: "tar could not be run in the container (cp needs tar there, as kubectl cp does)"},
	}
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(l.line + "\n")
	}
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-kit"), []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		[]string{"--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "--volume-percentage", "100", "--timeout", "5m"})
	took := time.Since(start)
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d (partial)\n%s", code, cli.ExitPartial, errOut.String())
	}
	t.Logf("the run took %s", took.Round(time.Millisecond))

	m := readManifestFile(t, dest)
	if len(m.Steps) != len(lines) {
		t.Fatalf("%d steps in the manifest, want %d:\n%s", len(m.Steps), len(lines), errOut.String())
	}
	for i, l := range lines {
		s := m.Steps[i]
		if s.Status != l.status || !strings.Contains(s.Error, l.errHas) {
			t.Errorf("line %d %q: status %q, error %q; want %q with %q", i+1, l.line, s.Status, s.Error, l.status, l.errHas)
		}
	}
	if d := m.Steps[5].DurationSeconds; d > 20 {
		t.Errorf("the hung command's step took %.1f s, want about its --timeout 3s", d)
	}

	files := readTree(t, dest)
	want := map[string]string{
		// exec: a file per pod.
		"web/web-0/hostname.txt": "web-0\n",
		"web/web-1/hostname.txt": "web-1\n",
		// A command that failed keeps what it wrote.
		"fails/web-0/out.txt":  "partial-line\n",
		"raw/api-healthz.json": "\"ok\"\n",
		// cp: the password line redacted by the sink, the link skipped.
		"shell-data/shell/data/sub/app.properties": "db.host=db\npassword=REDACTED\n",
	}
	for p, content := range want {
		if diff := cmp.Diff(content, string(files[p])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
	for _, p := range []string{
		"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/widgets." + group + ".yaml",
		"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/gizmos.sub." + group + ".yaml",
		"namespaces/" + ns + "/" + group + "/widgets/w1.yaml",
		"cluster-scoped-resources/sub." + group + "/gizmos/gz1.yaml",
	} {
		if _, ok := files[p]; !ok {
			t.Errorf("inspect --api-group wrote no %s", p)
		}
	}
	if !bytes.Contains(files["raw/apiserver-metrics.txt"], []byte("apiserver_request_total")) {
		t.Errorf("raw/apiserver-metrics.txt (%d bytes) lacks apiserver_request_total", len(files["raw/apiserver-metrics.txt"]))
	}
	if !bytes.Contains(files["raw/things.json"], []byte(`"name":"thing-a"`)) {
		t.Errorf("raw/things.json: %s", files["raw/things.json"])
	}
	for p, b := range files {
		if strings.HasPrefix(p, "missing/") || strings.HasPrefix(p, "nocontainer/") || strings.HasPrefix(p, "raw/absent") || strings.HasPrefix(p, "missing-path/") ||
			strings.HasPrefix(p, "no-tar/") || strings.HasPrefix(p, "shell-data/shell/data/passwd-link") {
			t.Errorf("%s written by a step that could not work", p)
		}
		if bytes.Contains(b, []byte("kit15-planted-pw")) {
			t.Errorf("%s holds the planted password", p)
		}
	}
	if !strings.Contains(read(t, filepath.Join(dest, "gather-run.log")), "cp: skipped symbolic link shell-data/shell/data/passwd-link -> /etc/passwd") {
		t.Error("the run log does not say the symbolic link was skipped")
	}
}

// Each built-in is also a subcommand of gather: exec with "--" before the
// command, as kubectl exec, writes into its own destination.
func TestToolkitBuiltinsAsSubcommands(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	p := clustertest.TestPod(t, ns, "one", "log", "hello")
	createPod(t, p)
	clustertest.WaitForPod(t, ns, "one", 2*time.Minute, clustertest.Running)
	kc := kubeconfigPath(t)

	tests := []struct {
		name  string
		args  []string
		files map[string]string
	}{
		{name: "exec", args: []string{"exec", "-n", ns, "one", "--output", "out/hostname", "--", "/testimage", "cat", "/etc/hostname"},
			files: map[string]string{"out/one/hostname": "one\n"}},
		{name: "raw", args: []string{"raw", "/api/v1/namespaces/" + ns + "/pods/one/log", "--output", "one.log"},
			files: map[string]string{"one.log": "hello\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "out")
			var out, errOut bytes.Buffer
			code := app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
				append([]string{tc.args[0], "--dest-dir", dest, "--kubeconfig", kc, "--volume-percentage", "100"}, tc.args[1:]...))
			if code != cli.ExitOK {
				t.Fatalf("exit code %d\n%s", code, errOut.String())
			}
			files := readTree(t, dest)
			for p, content := range tc.files {
				if diff := cmp.Diff(content, string(files[p])); diff != "" {
					t.Errorf("%s (-want +got):\n%s", p, diff)
				}
			}
		})
	}

	var errOut bytes.Buffer
	code := app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut},
		[]string{"exec", "--dest-dir", t.TempDir(), "--kubeconfig", kc, "-n", ns, "one", "--output", "../escape", "--", "ls"})
	if code != cli.ExitUsage && code != cli.ExitPartial {
		t.Errorf("exec --output ../escape: exit code %d\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), `must not climb with ".."`) {
		t.Errorf("exec --output ../escape: %s", errOut.String())
	}
}

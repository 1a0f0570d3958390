package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/test/clustertest"
	"github.com/must-gather/toolkit/test/faultproxy"
)

// hostGather runs the gather binary on the host, as a user would, with the
// steps files (name -> content; a content starting with #! is an
// executable), and returns its destination, exit code, manifest, stderr and
// how long it took. The context bounds it at twice the run's --timeout.
func hostGather(t *testing.T, kubeconfig, dest string, timeout time.Duration, files map[string]string, args ...string) (int, *steps.Manifest, string, time.Duration) {
	t.Helper()
	gd := t.TempDir()
	for name, text := range files {
		mode := os.FileMode(0o644)
		if strings.HasPrefix(text, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(gd, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatherBinary(t), append([]string{"--dest-dir", dest, "--gather-dir", gd,
		"--kubeconfig", kubeconfig, "--timeout", timeout.String()}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running gather: %v\n%s", err, stderr.String())
	}
	return code, readManifestFile(t, dest), stderr.String(), took
}

// stepOf returns the manifest's record of the step name.
func stepOf(t *testing.T, m *steps.Manifest, name string) steps.StepRecord {
	t.Helper()
	for _, s := range m.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %s in the manifest", name)
	return steps.StepRecord{}
}

// assertIntact checks every file of dest: each .yaml parses, each .gz
// decompresses, each .json parses, and no temporary file is left.
func assertIntact(t *testing.T, dest string) {
	t.Helper()
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".gz"):
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err == nil {
				_, err = io.Copy(io.Discard, zr)
			}
			if err != nil {
				t.Errorf("%s does not decompress: %v", p, err)
			}
		case strings.HasSuffix(p, ".yaml"), strings.HasSuffix(p, ".json"):
			var v any
			if err := yaml.Unmarshal(b, &v); err != nil {
				t.Errorf("%s does not parse: %v", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// faultNamespace makes a namespace with two pods that log and exit, a
// config map, a service and a secret.
func faultNamespace(t *testing.T) string {
	t.Helper()
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	for _, p := range []string{"p0", "p1"} {
		createPod(t, clustertest.TestPod(t, ns, p, "log", "hello from "+p))
	}
	mustCreate(t, func() error {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm1"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Services(ns).Create(t.Context(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc1"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
		return err
	})
	for _, p := range []string{"p0", "p1"} {
		clustertest.WaitForPod(t, ns, p, 2*time.Minute, clustertest.Running)
	}
	return ns
}

// Faults the API server may give, each on one type of a namespace, as
// `gather` on the host sees them through the fault proxy: a 500, a 403, a
// 429 with Retry-After and a reset connection (both retried by client-go,
// so their data is there), a 503 with Retry-After on a log (retried), and a
// slow list. The run finishes well inside its --timeout, exits 3
// (partial), the manifest names each failure with its cause, and the rest
// is there and whole.
func TestGatherThroughFaults(t *testing.T) {
	t.Parallel()
	ns := faultNamespace(t)
	prefix := "^/api/v1/namespaces/" + ns
	proxy := faultproxy.Start(t, clustertest.Config(t),
		faultproxy.Rule{Name: "configmaps-500", Path: prefix + "/configmaps$", Fault: faultproxy.Status, Code: 500},
		faultproxy.Rule{Name: "secrets-403", Path: prefix + "/secrets$", Fault: faultproxy.Status, Code: 403},
		faultproxy.Rule{Name: "services-429", Path: prefix + "/services$", Fault: faultproxy.Status, Code: 429, RetryAfter: 1, Times: 2},
		faultproxy.Rule{Name: "serviceaccounts-reset", Path: prefix + "/serviceaccounts$", Fault: faultproxy.Reset, Times: 1},
		faultproxy.Rule{Name: "p1-log-503", Path: prefix + "/pods/p1/log$", Fault: faultproxy.Status, Code: 503, RetryAfter: 1, Times: 1},
		faultproxy.Rule{Name: "pods-slow", Path: prefix + "/pods$", Fault: faultproxy.Slow, Delay: 2 * time.Second},
	)
	dest := filepath.Join(t.TempDir(), "must-gather")
	const timeout = 90 * time.Second
	code, m, stderr, took := hostGather(t, proxy.Kubeconfig, dest, timeout, map[string]string{"10-steps": "inspect ns/" + ns + "\n"})
	t.Logf("gather through the faults took %s", took.Round(time.Millisecond))
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d (partial)\n%s", code, cli.ExitPartial, stderr)
	}
	if took > timeout/2 {
		t.Errorf("took %s: the faults here cost seconds, not the run's budget", took)
	}
	s := stepOf(t, m, "10-steps:1")
	if s.Status != steps.StatusFailed {
		t.Errorf("step status %q, want failed", s.Status)
	}
	for _, want := range []string{"configmaps", "faultproxy: rule configmaps-500", "secrets", "faultproxy: rule secrets-403"} {
		if !strings.Contains(s.Error, want) {
			t.Errorf("the step's error does not name %q:\n%s", want, s.Error)
		}
	}
	for _, retried := range []string{"services", "serviceaccounts", "p1"} {
		if strings.Contains(s.Error, retried) {
			t.Errorf("the step's error names %s, which was retried:\n%s", retried, s.Error)
		}
	}
	for rule, want := range map[string]int{"configmaps-500": 1, "secrets-403": 1, "services-429": 2, "serviceaccounts-reset": 1, "p1-log-503": 1} {
		if got := proxy.Hits(rule); got < want {
			t.Errorf("rule %s faulted %d requests, want %d", rule, got, want)
		}
	}
	// Retried: each faulted request was made once more, and answered.
	for path, want := range map[string]int{"/services[?]": 3, "/serviceaccounts[?]": 2, "/pods/p1/log[?]": 2} {
		if got := proxy.Requests(prefix + path); got < want {
			t.Errorf("%s: %d requests, want %d (the faulted ones retried)", path, got, want)
		}
	}
	for file, want := range map[string]string{
		"core/services.yaml":                 "svc1",
		"core/serviceaccounts.yaml":          "default",
		"core/pods.yaml":                     "p1",
		"pods/p0/main/main/logs/current.log": "hello from p0",
		"pods/p1/main/main/logs/current.log": "hello from p1",
		ns + ".yaml":                         ns,
	} {
		if got := read(t, filepath.Join(dest, "namespaces", ns, file)); !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", file, want, got)
		}
	}
	for _, file := range []string{"core/configmaps.yaml", "core/secrets.yaml"} {
		if _, err := os.Stat(filepath.Join(dest, "namespaces", ns, file)); err == nil {
			t.Errorf("%s written although its list failed", file)
		}
	}
	assertIntact(t, dest)
}

// A list that hangs and a log that never ends: the list fails alone at
// --page-timeout and the types after it are listed; the log goes on until
// the step's budget ends, and what arrived of it is kept; the step is
// timed out, naming the list; the next step (another namespace) runs and
// is whole; the run ends inside its --timeout and exits 3.
func TestGatherHungAndEndless(t *testing.T) {
	t.Parallel()
	ns := faultNamespace(t)
	other := faultNamespace(t)
	prefix := "^/api/v1/namespaces/" + ns
	proxy := faultproxy.Start(t, clustertest.Config(t),
		faultproxy.Rule{Name: "p0-log-endless", Path: prefix + "/pods/p0/log$", Fault: faultproxy.Endless},
		faultproxy.Rule{Name: "configmaps-hang", Path: prefix + "/configmaps$", Fault: faultproxy.Hang},
	)
	dest := filepath.Join(t.TempDir(), "must-gather")
	// The step's budget (half of it) leaves the hung list many times its
	// --page-timeout, however late a loaded machine gets to it.
	const timeout = 60 * time.Second
	code, m, stderr, took := hostGather(t, proxy.Kubeconfig, dest, timeout, map[string]string{"10-steps": "inspect --page-timeout 3s ns/" + ns + "\ninspect ns/" + other + "\n"})
	t.Logf("gather with a hung list and an endless log took %s", took.Round(time.Millisecond))
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d (partial)\n%s", code, cli.ExitPartial, stderr)
	}
	// The runner gives a built-in KillGrace (5 s) past its budget.
	if took > timeout+10*time.Second {
		t.Errorf("took %s, --timeout is %s", took, timeout)
	}
	if s := stepOf(t, m, "10-steps:1"); s.Status != steps.StatusTimedOut || !strings.Contains(s.Error, "no result within its budget") ||
		!strings.Contains(s.Error, "listing configmaps in "+ns) || strings.Contains(s.Error, "listing services") {
		t.Errorf("the faulted step: %s: %s", s.Status, s.Error)
	}
	if s := stepOf(t, m, "10-steps:2"); s.Status != steps.StatusOK {
		t.Errorf("the other namespace's step: %s: %s", s.Status, s.Error)
	}
	log := read(t, filepath.Join(dest, "namespaces", ns, "pods/p0/main/main/logs/current.log"))
	if !strings.Contains(log, "hello from p0") || !strings.Contains(log, strings.TrimSpace(faultproxy.EndlessLine)) {
		t.Errorf("the endless log kept %q", log)
	}
	for _, f := range []string{"namespaces/" + ns + "/core/pods.yaml", "namespaces/" + ns + "/core/services.yaml",
		"namespaces/" + ns + "/core/secrets.yaml", "namespaces/" + ns + "/pods/p1/main/main/logs/current.log",
		"namespaces/" + other + "/core/configmaps.yaml", "namespaces/" + other + "/pods/p0/main/main/logs/current.log"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	assertIntact(t, dest)
}

// The API server unreachable for 20 s in the middle of a run (the proxy
// closes its port at the first list of config maps): the step then
// running fails and says why; a step that starts once it is back gathers
// everything; the run finishes and exits 3.
func TestGatherAPIServerUnreachable(t *testing.T) {
	t.Parallel()
	ns := faultNamespace(t)
	other := faultNamespace(t)
	proxy := faultproxy.Start(t, clustertest.Config(t),
		faultproxy.Rule{Name: "down", Path: "^/api/v1/namespaces/" + ns + "/configmaps$", Fault: faultproxy.Down, Delay: 20 * time.Second, Times: 1})
	dest := filepath.Join(t.TempDir(), "must-gather")
	files := map[string]string{
		"10-steps": "inspect ns/" + ns + "\n",
		// A step that takes a while, as node collectors do.
		"20-wait":  "#!/bin/sh\nsleep 22\n",
		"30-steps": "inspect ns/" + other + "\n",
	}
	const timeout = 2 * time.Minute
	code, m, stderr, took := hostGather(t, proxy.Kubeconfig, dest, timeout, files)
	t.Logf("gather with the API server away for 20 s took %s", took.Round(time.Millisecond))
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d (partial)\n%s", code, cli.ExitPartial, stderr)
	}
	if proxy.Hits("down") != 1 {
		t.Fatalf("the API server never went away")
	}
	if s := stepOf(t, m, "10-steps:1"); s.Status == steps.StatusOK || !strings.Contains(s.Error, "connection refused") && !strings.Contains(s.Error, "connection reset") {
		t.Errorf("the step it went away in: %s: %s", s.Status, s.Error)
	}
	if s := stepOf(t, m, "30-steps:1"); s.Status != steps.StatusOK {
		t.Errorf("the step after it came back: %s: %s", s.Status, s.Error)
	}
	for _, f := range []string{"core/configmaps.yaml", "core/pods.yaml", "pods/p0/main/main/logs/current.log", "pods/p1/main/main/logs/current.log"} {
		if _, err := os.Stat(filepath.Join(dest, "namespaces", other, f)); err != nil {
			t.Errorf("missing %s of the step after it came back", f)
		}
	}
	assertIntact(t, dest)
}

// smallDisk mounts a tmpfs of size (as mount -o size= reads it) at a
// fresh directory, unmounted when the test ends.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// bigConfigMaps makes n config maps of size bytes each in a fresh
// namespace.
func bigConfigMaps(t *testing.T, n, size int) string {
	t.Helper()
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	value := strings.Repeat("x", size)
	for i := range n {
		mustCreate(t, func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "big-" + strconv.Itoa(i)},
				Data: map[string]string{"v": value}}, metav1.CreateOptions{})
			return err
		})
	}
	return ns
}

// The destination's filesystem fills up. With the disk guard off, the file
// that does not fit is dropped whole (written to a temporary file, never
// renamed into place) and recorded with its cause; the next steps run.
// With the guard on, gather stops writing new data once the filesystem is
// used above --volume-percentage, records why, skips the steps left, and
// still writes its manifest. Either way every file written is whole.
func TestGatherDiskFull(t *testing.T) {
	t.Parallel()
	clustertest.Config(t)
	big := bigConfigMaps(t, 12, 256<<10) // about 3 MiB of config maps
	small := clustertest.Namespace(t)
	stepsFile := map[string]string{"10-steps": "inspect ns/" + big + "\ninspect ns/" + small + "\n"}

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		dest := filepath.Join(smallDisk(t, "2m"), "must-gather")
		code, m, stderr, _ := hostGather(t, kubeconfigPath(t), dest, time.Minute, stepsFile, "--volume-percentage", "100")
		if code != cli.ExitPartial {
			t.Fatalf("exit code %d, want %d\n%s", code, cli.ExitPartial, stderr)
		}
		if s := stepOf(t, m, "10-steps:1"); s.Status != steps.StatusFailed || !strings.Contains(s.Error, "configmaps.yaml") || !strings.Contains(s.Error, "no space left on device") {
			t.Errorf("the step that filled the disk: %s: %s", s.Status, s.Error)
		}
		if s := stepOf(t, m, "10-steps:2"); s.Status != steps.StatusOK {
			t.Errorf("the next step: %s: %s", s.Status, s.Error)
		}
		if _, err := os.Stat(filepath.Join(dest, "namespaces", big, "core/configmaps.yaml")); err == nil {
			t.Errorf("configmaps.yaml is there: it cannot have fitted")
		}
		if _, err := os.Stat(filepath.Join(dest, "namespaces", small, small+".yaml")); err != nil {
			t.Errorf("the next step's namespace is missing: %v", err)
		}
		assertIntact(t, dest)
	})
	t.Run("guard", func(t *testing.T) {
		t.Parallel()
		dest := filepath.Join(smallDisk(t, "8m"), "must-gather")
		code, m, stderr, _ := hostGather(t, kubeconfigPath(t), dest, time.Minute, stepsFile, "--volume-percentage", "20")
		if code != cli.ExitPartial {
			t.Fatalf("exit code %d, want %d\n%s", code, cli.ExitPartial, stderr)
		}
		if !strings.Contains(m.StopReason, "destination volume above --volume-percentage") {
			t.Errorf("stop reason %q", m.StopReason)
		}
		if s := stepOf(t, m, "10-steps:2"); s.Status != steps.StatusSkipped {
			t.Errorf("the step after the guard tripped: %s: %s", s.Status, s.Error)
		}
		if b := read(t, filepath.Join(dest, "namespaces", big, "core/configmaps.yaml")); !strings.Contains(b, "big-11") {
			t.Errorf("configmaps.yaml, written before the guard tripped, is not whole")
		}
		assertIntact(t, dest)
	})
}

// Credentials the server refuses (a token that expired, or was revoked,
// is a 401 like any wrong one): one clear error line, exit 1, and a
// manifest in the destination whose steps say why.
func TestGatherUnauthorized(t *testing.T) {
	t.Parallel()
	cfg := clustertest.Config(t)
	ca := cfg.CAData
	if len(ca) == 0 {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "expired-0123456789abcdef"}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	code, m, stderr, _ := hostGather(t, kubeconfig, dest, time.Minute, map[string]string{"10-steps": "inspect ns/default\n"})
	// client-go's words for a 401.
	const unauthorized = "the server has asked for the client to provide credentials"
	if code != cli.ExitFatal {
		t.Fatalf("exit code %d, want %d\n%s", code, cli.ExitFatal, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "error: reaching the API server at "+cfg.Host) || !strings.Contains(last, unauthorized) {
		t.Errorf("last line %q", last)
	}
	if s := stepOf(t, m, "10-steps:1"); s.Status != steps.StatusFailed || !strings.Contains(s.Error, unauthorized) {
		t.Errorf("step: %s: %s", s.Status, s.Error)
	}
	if m.Status != steps.RunFailed || m.End == nil {
		t.Errorf("run status %q, end %v", m.Status, m.End)
	}
}

// A hostile gather.d, run by the binary: a step file that is a directory,
// a FIFO, a dangling link, and lines that are huge, not UTF-8, name no
// built-in or hold a shell operator. Each is a failed step naming its file
// (and line); the good steps run; exit 3. Nothing blocks on the FIFO.
func TestGatherHostileStepFiles(t *testing.T) {
	t.Parallel()
	clustertest.Config(t)
	ns := clustertest.Namespace(t)
	gd := t.TempDir()
	lines := "inspect ns/" + ns + "\n" + "inspect " + strings.Repeat("x", 70<<10) + "\n" +
		"inspect \xff\xfe\n" + "no-such-built-in a\n" + "inspect a; reboot\n"
	if err := os.WriteFile(filepath.Join(gd, "10-lines"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(gd, "20-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(gd, "30-fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(gd, "40-dangling")); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatherBinary(t), "--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "--timeout", "1m")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitPartial {
		t.Fatalf("gather: %v, want exit code %d\n%s", err, cli.ExitPartial, out)
	}
	m := readManifestFile(t, dest)
	type rec struct{ Name, Status, Error string }
	var got []rec
	for _, s := range m.Steps {
		e := s.Error
		if i := strings.Index(e, ":"); i > 0 && s.Status != steps.StatusOK {
			e = e[:i] // what names the file and line
		}
		got = append(got, rec{s.Name, s.Status, e})
	}
	want := []rec{
		{"10-lines:1", "ok", ""},
		{"10-lines:2", "failed", "10-lines line 2"},
		{"10-lines:3", "failed", "10-lines line 3"},
		{"10-lines:4", "failed", "10-lines line 4"},
		{"10-lines:5", "failed", "10-lines line 5"},
		{"20-dir", "failed", "20-dir is a directory, not a step file"},
		{"30-fifo", "failed", "30-fifo is not a regular file (p---------)"},
		{"40-dangling", "failed", "reading 40-dangling"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dest, "namespaces", ns, ns+".yaml")); err != nil {
		t.Errorf("the good step's data is missing: %v", err)
	}
}

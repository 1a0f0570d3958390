package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/pkg/tempns"
	"github.com/must-gather/toolkit/test/clustertest"
)

// gatherRun runs a whole gather (in this process) with the given gather.d
// lines and kubeconfig, and returns its destination, exit code, manifest
// and stderr.
func gatherRun(t *testing.T, kubeconfig string, lines ...string) (string, int, *steps.Manifest, string) {
	t.Helper()
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-steps"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	var out, errOut bytes.Buffer
	code := app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		[]string{"--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfig, "--volume-percentage", "100", "--timeout", "3m"})
	return dest, code, readManifestFile(t, dest), errOut.String()
}

func readManifestFile(t *testing.T, dest string) *steps.Manifest {
	t.Helper()
	var m steps.Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dest, steps.ManifestFile))), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return &m
}

// A dead node: its kubelet stopped and its port answering nothing, as a
// powered-off node would. The node turns NotReady; both node collectors
// record the skip (in the step's error and its nodes); inspect tries one
// log on the node (a 30 s connection timeout in the apiserver), skips the
// others of its pods and says so, and writes everything else.
func TestGatherWithDeadNode(t *testing.T) {
	// Not parallel: see clustertest.TakeNode.
	node := clustertest.TakeNode(t)
	ns := clustertest.Namespace(t)
	const pods = 4
	for i := range pods {
		createPod(t, clustertest.TestPod(t, ns, fmt.Sprintf("p%d", i), "log", "hello"))
	}
	for i := range pods {
		clustertest.WaitForPod(t, ns, fmt.Sprintf("p%d", i), time.Minute, clustertest.Running)
	}
	clustertest.StopKubelet(t, true)
	// One log at a time, so which logs are tried and which skipped is fixed.
	dest, code, m, stderr := gatherRun(t, kubeconfigPath(t), "inspect --parallel 1 ns/"+ns, "audit-logs", "node-logs")
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d (partial)\n%s", code, cli.ExitPartial, stderr)
	}
	type rec struct{ Name, Status string }
	var got []rec
	for _, s := range m.Steps {
		got = append(got, rec{s.Name, s.Status})
	}
	if diff := cmp.Diff([]rec{{"10-steps:1", "failed"}, {"10-steps:2", "failed"}, {"10-steps:3", "failed"}}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	want := fmt.Sprintf("skipped %d container logs of pods on node %s: its kubelet could not be reached", pods-1, node)
	if s := m.Steps[0]; !strings.Contains(s.Error, want) || !strings.Contains(s.Error, "i/o timeout") {
		t.Errorf("inspect: error %q lacks %q (after an i/o timeout)", s.Error, want)
	}
	t.Logf("inspect with a dead node took %.1fs", m.Steps[0].DurationSeconds)
	for _, s := range m.Steps[1:] {
		if !strings.Contains(s.Error, "skipping node "+node+": node is not Ready") {
			t.Errorf("%s: error %q does not record the skip", s.Command, s.Error)
		}
		if len(s.Nodes) != 1 || s.Nodes[0].Name != node || s.Nodes[0].Path != nodes.PathSkipped || !strings.Contains(s.Nodes[0].Reason, "not Ready") {
			t.Errorf("%s: nodes %+v, want %s skipped as not Ready", s.Command, s.Nodes, node)
		}
	}
	if m.Status != steps.RunPartial || m.End == nil {
		t.Errorf("run status %q, end %v", m.Status, m.End)
	}
	for _, f := range []string{"version", "gather-run.log", "namespaces/" + ns + "/" + ns + ".yaml", "namespaces/" + ns + "/core/pods.yaml"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// When debug pods cannot run (the user may not create them, or their image
// is not on the node), each node is read through the node log proxy, the
// manifest says so and why, and the data is there.
func TestNodeCollectorsFallBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		kubeconfig func(t *testing.T) string
		image      func(t *testing.T) string
		wantWhy    string
	}{
		{name: "pods forbidden", kubeconfig: readOnlyKubeconfig, image: gatherImage, wantWhy: "forbidden"},
		{name: "image absent", kubeconfig: kubeconfigPath, image: func(*testing.T) string { return "localhost/mgtk/absent:none" }, wantWhy: "ErrImagePull"},
		// The test image has no /usr/bin/gather: its debug pod fails to start.
		{name: "no node agent in the image", kubeconfig: kubeconfigPath, image: func(t *testing.T) string { return clustertest.TestImage(t) }, wantWhy: "pod ended: StartError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node := clustertest.RequireNode(t)
			image := " --image " + tc.image(t)
			dest, code, m, stderr := gatherRun(t, tc.kubeconfig(t), "audit-logs"+image, "node-logs"+image)
			if code != cli.ExitOK {
				t.Fatalf("exit code %d, want 0\n%s", code, stderr)
			}
			for _, s := range m.Steps {
				if len(s.Nodes) != 1 || s.Nodes[0].Path != nodes.PathProxy || !strings.Contains(s.Nodes[0].Reason, tc.wantWhy) {
					t.Errorf("%s: nodes %+v, want %s read through the proxy because %s", s.Command, s.Nodes, node, tc.wantWhy)
				}
			}
			checkAuditGz(t, filepath.Join(dest, "audit_logs/kube-apiserver", node+"-audit.log.gz"))
			if fi, err := os.Stat(filepath.Join(dest, "host_service_logs/masters/kubelet_service.log")); err != nil || fi.Size() < 1024 {
				t.Errorf("kubelet service log: %v", err)
			}
		})
	}
}

// checkAuditGz checks that a gathered audit file decompresses to audit
// events.
func checkAuditGz(t *testing.T, path string) {
	t.Helper()
	first, _, _ := strings.Cut(gunzip(t, path), "\n")
	var ev struct{ Kind, AuditID string }
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev.Kind != "Event" || ev.AuditID == "" {
		t.Errorf("%s: not an audit event (%v): %.200s", path, err, first)
	}
}

// readOnlyKubeconfig writes a kubeconfig of a service account that may read
// everything (node logs included) but create nothing: no namespace, no pod.
func readOnlyKubeconfig(t *testing.T) string {
	t.Helper()
	ns := clustertest.Namespace(t)
	serviceAccount(t, ns, "reader")
	bindClusterRole(t, ns, "reader", ns+"-read",
		[]rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}})
	reader := serviceAccountConfig(t, ns, "reader", func(ctx context.Context, cs kubernetes.Interface) error {
		_, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		return err
	})
	return writeKubeconfig(t, clustertest.Config(t), reader.BearerToken)
}

func writeKubeconfig(t *testing.T, cfg *rest.Config, token string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// hangingAgentImage loads, once per test process, an image whose
// /usr/bin/gather is a node agent that never answers, so a debug pod stays
// in the middle of its work until the gather gives up on it.
var (
	hangingOnce sync.Once
	hangingRef  string
)

func hangingAgentImage(t *testing.T) string {
	t.Helper()
	hangingOnce.Do(func() {
		ref := "localhost/mgtk/hanging-agent:e2e-" + randomSuffix()
		clustertest.LoadImage(t, clustertest.ImageArchiveAs(t, "usr/bin/gather", ref))
		hangingRef = ref
	})
	if hangingRef == "" {
		t.Fatal("the hanging agent image could not be made (see the first test that tried)")
	}
	return hangingRef
}

// debugRun is where one collector run put its debug pods, as its log says.
type debugRun struct{ namespace, id string }

var debugRunLine = regexp.MustCompile(`debug pods run in namespace (\S+), labelled ` + regexp.QuoteMeta(tempns.RunLabel) + `=(\S+)`)

func debugRuns(log string) []debugRun {
	var out []debugRun
	for _, m := range debugRunLine.FindAllStringSubmatch(log, -1) {
		out = append(out, debugRun{m[1], m[2]})
	}
	return out
}

// leftBehind lists the debug pods and temporary namespaces of the runs that
// are neither gone nor being deleted.
func leftBehind(t *testing.T, runs []debugRun) []string {
	t.Helper()
	cs := clustertest.Client(t)
	var out []string
	for _, r := range runs {
		if strings.HasPrefix(r.namespace, "must-gather-nodes-") {
			n, err := cs.CoreV1().Namespaces().Get(t.Context(), r.namespace, metav1.GetOptions{})
			if err == nil && n.DeletionTimestamp == nil {
				out = append(out, "namespace "+r.namespace)
			}
		}
		pods, err := cs.CoreV1().Pods(r.namespace).List(t.Context(), metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + r.id})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				out = append(out, "pod "+r.namespace+"/"+p.Name)
			}
		}
	}
	return out
}

// A step whose budget ends while its debug pod works leaves no debug pod
// and no temporary namespace.
func TestNoDebugPodAfterTimeout(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	image := hangingAgentImage(t)
	_, code, m, stderr := gatherRun(t, kubeconfigPath(t), "inspect ns/"+ns, "timeout 20s audit-logs --image "+image)
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d\n%s", code, cli.ExitPartial, stderr)
	}
	s := m.Steps[1]
	if s.Status != steps.StatusTimedOut {
		t.Errorf("step status %q (%s), want timed-out", s.Status, s.Error)
	}
	// The budget ended while the node agent was streaming (the pod starts
	// in 1-2 s: 20 s leave room for a slow machine).
	if !strings.Contains(s.Error, "node-agent files") || !strings.Contains(s.Error, "context deadline exceeded") {
		t.Errorf("step error %q: the timeout did not hit a debug pod at work", s.Error)
	}
	runs := debugRuns(stderr)
	if len(runs) != 1 {
		t.Fatalf("debug pod runs in the log: %v\n%s", runs, stderr)
	}
	if left := leftBehind(t, runs); len(left) > 0 {
		t.Errorf("left behind after a timed-out run: %v", left)
	}
	checkNodeRecord(t, s.Nodes, nodes.PathDebugPod, "stopped: context deadline exceeded")
}

// A gather stopped with SIGTERM while its debug pod works leaves no debug
// pod and no temporary namespace, and its manifest says it was interrupted.
func TestNoDebugPodAfterSIGTERM(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	image := hangingAgentImage(t)
	bin := gatherBinary(t)
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-steps"), []byte("inspect ns/"+ns+"\naudit-logs --image "+image+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	cmd := exec.Command(bin, "--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "--volume-percentage", "100")
	stderr := &outputtest.Log{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// Wait until the gather works through its debug pod (whose agent never
	// answers).
	if err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		return strings.Contains(stderr.String(), node+": debug pod running"), nil
	}); err != nil {
		t.Fatalf("no debug pod running: %v\n%s", err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != cli.ExitPartial {
		t.Fatalf("gather after SIGTERM: %v, want exit code %d\n%s", err, cli.ExitPartial, stderr.String())
	}
	if left := leftBehind(t, debugRuns(stderr.String())); len(left) > 0 {
		t.Errorf("left behind after SIGTERM: %v", left)
	}
	m := readManifestFile(t, dest)
	if s := m.Steps[1]; !strings.Contains(s.Error, "interrupted") || m.End == nil {
		t.Errorf("manifest: step %q (%s), end %v", s.Status, s.Error, m.End)
	}
	checkNodeRecord(t, m.Steps[1].Nodes, nodes.PathDebugPod, "stopped: terminated signal received")
}

func checkNodeRecord(t *testing.T, got []builtin.NodeReport, path, reason string) {
	t.Helper()
	want := []builtin.NodeReport{{Name: clustertest.NodeName(t), Path: path, Reason: reason}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nodes of the step (-want +got):\n%s", diff)
	}
}

// What remains after a gather killed with SIGKILL — a temporary namespace
// (its pods end by their activeDeadlineSeconds) — is deleted by a later run
// once it has expired; a namespace of a run still in progress is not.
func TestExpiredDebugNamespaceIsSwept(t *testing.T) {
	// Not parallel: see clustertest.TakeNode.
	// Alone: no other run sweeps the namespace before this one can.
	clustertest.TakeNode(t)
	cs := clustertest.Client(t)
	mk := func(expires time.Time) string {
		n, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "must-gather-nodes-",
			Labels:       map[string]string{tempns.RunLabel: "killed"},
			Annotations:  map[string]string{tempns.ExpiresAnnotation: expires.UTC().Format(time.RFC3339)},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), n.Name, metav1.DeleteOptions{}) })
		return n.Name
	}
	expired, live := mk(time.Now().Add(-time.Minute)), mk(time.Now().Add(time.Hour))
	_, code, m, stderr := gatherRun(t, kubeconfigPath(t), "audit-logs --image "+gatherImage(t))
	if code != cli.ExitOK {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	checkNodeRecord(t, m.Steps[0].Nodes, nodes.PathDebugPod, "")
	if !strings.Contains(stderr, "deleted namespace "+expired+" of an earlier run") {
		t.Errorf("the run did not say it deleted %s:\n%s", expired, stderr)
	}
	if n, err := cs.CoreV1().Namespaces().Get(t.Context(), expired, metav1.GetOptions{}); err == nil && n.DeletionTimestamp == nil {
		t.Errorf("expired namespace %s was not swept", expired)
	}
	if n, err := cs.CoreV1().Namespaces().Get(t.Context(), live, metav1.GetOptions{}); err != nil || n.DeletionTimestamp != nil {
		t.Errorf("namespace %s of a run in progress was swept (%v)", live, err)
	}
}

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/must-gather/toolkit/test/clustertest"
)

// gather inside a pod: the in-cluster config, the built-in gather.d, the
// image contract's /must-gather, with an image holding just the static
// binary (the real images are tested by hack/image-test.sh).
var (
	gatherBinOnce   sync.Once
	gatherBinPath   string
	gatherImageOnce sync.Once
	gatherImageRef  string
)

// gatherBinary builds the gather binary once per test process.
func gatherBinary(t *testing.T) string {
	t.Helper()
	gatherBinOnce.Do(func() {
		root, err := clustertest.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "mgtk-e2e-gather-")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "gather")
		build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/gather")
		build.Dir = root
		build.Env = append(build.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building gather: %v\n%s", err, out)
		}
		gatherBinPath = bin
	})
	if gatherBinPath == "" {
		t.Fatal("the gather binary could not be built (see the first test that tried)")
	}
	return gatherBinPath
}

// gatherImage loads an image of the gather binary alone into the node, once
// per test process, and returns its reference.
func gatherImage(t *testing.T) string {
	t.Helper()
	bin := gatherBinary(t)
	gatherImageOnce.Do(func() {
		ref := "localhost/mgtk/gather:e2e-" + randomSuffix()
		clustertest.LoadImage(t, clustertest.BinaryImageArchive(t, bin, "usr/bin/gather", ref))
		gatherImageRef = ref
	})
	if gatherImageRef == "" {
		t.Fatal("the gather image could not be made (see the first test that tried)")
	}
	return gatherImageRef
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestGatherInAPod(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	ref := gatherImage(t)
	// Some clusters allow no critical pods outside their system namespaces:
	// the debug pods then go without their priority class.
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "no-critical-pods", Namespace: ns},
		Spec: corev1.ResourceQuotaSpec{
			Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")},
			ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{{
				ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn,
				Values: []string{"system-node-critical", "system-cluster-critical"},
			}}},
		},
	}
	cs := clustertest.Client(t)
	if _, err := cs.CoreV1().ResourceQuotas(ns).Create(t.Context(), quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The quota binds once the apiserver's admission sees it: until a
	// critical pod is refused (a dry run).
	probe := clustertest.TestPod(t, ns, "critical-probe")
	probe.Spec.PriorityClassName = "system-cluster-critical"
	if err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return apierrors.IsForbidden(err), nil
	}); err != nil {
		t.Fatalf("the quota on critical pods never took effect: %v", err)
	}

	p := clustertest.TestPod(t, ns, "gather")
	p.Spec.ServiceAccountName = clustertest.ServiceAccount(t, ns)
	p.Spec.Containers[0].Image = ref
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	p.Spec.Containers[0].Command = []string{"/usr/bin/gather", "--volume-percentage", "100", "--timeout", "2m"}
	// As oc adm must-gather does: the pod knows its name, so the node
	// collectors find their image in its spec.
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
	createPod(t, p)
	got := clustertest.WaitForPod(t, ns, "gather", 3*time.Minute, clustertest.Finished)
	log := clustertest.Logs(t, ns, "gather", "main")
	if got.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("gather pod %s:\n%s", got.Status.Phase, log)
	}
	for _, want := range []string{
		"gathering from https://10.0.0.1:443 (Kubernetes v1.37.2) into /must-gather",
		"10-inspect:7: ok in",
		"20-audit-logs:5: ok in",
		"30-node-logs:6: ok in",
		"audit-logs: " + clustertest.NodeName(t) + ": read through a debug pod",
		"node-logs: " + clustertest.NodeName(t) + ": read through a debug pod",
		"debug pods go without priority class system-cluster-critical",
		": ok (",
		"result in /must-gather",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("gather log lacks %q:\n%s", want, log)
		}
	}
}

// The node side of the node collectors, in a privileged pod with the
// host's root at /host: audit files come back over exec as a tar stream of
// gzipped files, the kubelet's log as the host has it.
func TestNodeAgentOverExec(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	ref := gatherImage(t)
	p := clustertest.TestPod(t, ns, "agent")
	p.Spec.HostPID = true
	p.Spec.Containers[0].Image = ref
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	p.Spec.Containers[0].Command = []string{"/usr/bin/gather", "node-agent", "wait"}
	p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
	// As the debug pods have it: the host's root, nothing writable else (the
	// agent streams; it needs no disk).
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}
	p.Spec.Volumes = []corev1.Volume{
		{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
	}
	createPod(t, p)
	clustertest.WaitForPod(t, ns, "agent", 2*time.Minute, clustertest.Running)

	files := clustertest.Untar(t, clustertest.Exec(t, ns, "agent", "main", "/usr/bin/gather", "node-agent", "files", "var/log/kube-apiserver"))
	if !strings.Contains(string(files[".listing"]), "var/log/kube-apiserver/audit.log\n") {
		t.Errorf("listing = %q", files[".listing"])
	}
	plain := gunzipBytes(t, "audit.log.gz", files["var/log/kube-apiserver/audit.log.gz"])
	first, _, _ := strings.Cut(plain, "\n")
	var ev struct{ Kind, AuditID string }
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev.Kind != "Event" {
		t.Errorf("first audit line is not an event (%v): %.200s", err, first)
	}

	kubelet := clustertest.Exec(t, ns, "agent", "main", "/usr/bin/gather", "node-agent", "service-log", "kubelet")
	kubeletLog := clustertest.Harness(t).Node.KubeletLogFile
	real, err := os.ReadFile(kubeletLog)
	if err != nil {
		t.Skipf("the kubelet log of this harness is not readable here: %v", err)
	}
	if len(kubelet) < 1024 || !bytes.HasPrefix(real, kubelet) {
		t.Errorf("kubelet log over exec (%d bytes) is not the start of %s (%d bytes)", len(kubelet), kubeletLog, len(real))
	}
}

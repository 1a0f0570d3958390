package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/test/clustertest"
)

// These tests prove the test cluster is real: what later collectors rely on
// (pod logs, exec streams, node log proxy, privileged host access, audit
// logs, in-cluster config, loaded images) works on it.

func createPod(t *testing.T, p *corev1.Pod) {
	t.Helper()
	if _, err := clustertest.Client(t).CoreV1().Pods(p.Namespace).Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s: %v", p.Name, err)
	}
}

func TestPodLogThroughAPIServer(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	createPod(t, clustertest.TestPod(t, ns, "logger", "log", "first line", "second line"))
	clustertest.WaitForPod(t, ns, "logger", 2*time.Minute, clustertest.Running)
	var got string
	for i := 0; i < 50 && !strings.Contains(got, "second line"); i++ {
		got = clustertest.Logs(t, ns, "logger", "main")
		time.Sleep(100 * time.Millisecond)
	}
	if diff := cmp.Diff("first line\nsecond line\n", got); diff != "" {
		t.Errorf("pod log (-want +got):\n%s", diff)
	}
}

func TestExecTarStreamIsIntact(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)

	// Binary content, every byte value, so any mangling of the stream shows.
	payload := make([]byte, 256*1024)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 256; i++ {
		payload[i] = byte(i)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: ns},
		BinaryData: map[string][]byte{"blob.bin": payload},
		Data:       map[string]string{"note.txt": "hello\n"},
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := clustertest.TestPod(t, ns, "holder")
	p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "data"}}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	createPod(t, p)
	clustertest.WaitForPod(t, ns, "holder", 2*time.Minute, clustertest.Running)

	got := map[string][]byte{}
	for name, b := range clustertest.Untar(t, clustertest.Exec(t, ns, "holder", "main", "/testimage", "tar", "/data")) {
		// The configmap volume keeps the files in a timestamped directory.
		got[path.Base(name)] = b
	}
	want := map[string][]byte{"blob.bin": payload, "note.txt": []byte("hello\n")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files through exec (-want +got):\n%s", diff)
	}
}

func TestNodeLogProxy(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	rc := clustertest.Client(t).CoreV1().RESTClient()
	listing, err := rc.Get().AbsPath("/api/v1/nodes", node, "proxy/logs/").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("listing node logs: %v", err)
	}
	for _, want := range []string{"kubelet.log", "kube-apiserver/"} {
		if !strings.Contains(string(listing), want) {
			t.Errorf("node log listing lacks %q:\n%s", want, listing)
		}
	}
	kubelet, err := rc.Get().AbsPath("/api/v1/nodes", node, "proxy/logs/").Param("query", "kubelet").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("kubelet log query: %v", err)
	}
	if !strings.Contains(string(kubelet), "Starting kubelet") && !strings.Contains(string(kubelet), "kubelet") {
		t.Errorf("kubelet log query returned no kubelet log (%d bytes): %.300s", len(kubelet), kubelet)
	}
	if len(kubelet) < 1024 {
		t.Errorf("kubelet log query returned only %d bytes", len(kubelet))
	}
}

func TestPrivilegedPodReadsAuditLog(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	p := clustertest.TestPod(t, ns, "audit-reader", "cat", "/host/var/log/kube-apiserver/audit.log")
	p.Spec.HostPID = true
	p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}
	p.Spec.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
	createPod(t, p)
	got := clustertest.WaitForPod(t, ns, "audit-reader", 2*time.Minute, clustertest.Finished)
	if got.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("reader pod %s: %s", got.Status.Phase, clustertest.Logs(t, ns, "audit-reader", "main"))
	}
	out := clustertest.Logs(t, ns, "audit-reader", "main")
	events := 0
	sawOwnNamespace := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct {
			Kind      string `json:"kind"`
			AuditID   string `json:"auditID"`
			ObjectRef struct {
				Namespace string `json:"namespace"`
			} `json:"objectRef"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit log line is not JSON: %v: %.200s", err, line)
		}
		if ev.Kind != "Event" || ev.AuditID == "" {
			t.Fatalf("not an audit event: %.200s", line)
		}
		events++
		sawOwnNamespace = sawOwnNamespace || ev.ObjectRef.Namespace == ns
	}
	if events == 0 || !sawOwnNamespace {
		t.Errorf("read %d audit events; one about this test's namespace %s: %v", events, ns, sawOwnNamespace)
	}
}

func TestInClusterConfigFromPod(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	p := clustertest.TestPod(t, ns, "lister", "list-namespaces")
	p.Spec.ServiceAccountName = clustertest.ServiceAccount(t, ns)
	createPod(t, p)
	got := clustertest.WaitForPod(t, ns, "lister", 2*time.Minute, clustertest.Finished)
	out := clustertest.Logs(t, ns, "lister", "main")
	if got.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("lister pod %s: %s", got.Status.Phase, out)
	}
	if got.Spec.HostNetwork {
		t.Fatal("the pod must not use the host network")
	}
	names := strings.Fields(out)
	for _, want := range []string{"kube-system", "default", ns} {
		if !contains(names, want) {
			t.Errorf("namespaces listed from the pod lack %q: %v", want, names)
		}
	}
}

func TestLoadedImageRuns(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ref := "localhost/mgtk/loaded:e2e-" + hex.EncodeToString(b)
	clustertest.LoadImage(t, clustertest.ImageArchive(t, ref))

	p := clustertest.TestPod(t, ns, "loaded", "exit", "0", "ran from "+ref)
	p.Spec.Containers[0].Image = ref
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	createPod(t, p)
	got := clustertest.WaitForPod(t, ns, "loaded", 2*time.Minute, clustertest.Finished)
	out := clustertest.Logs(t, ns, "loaded", "main")
	if got.Status.Phase != corev1.PodSucceeded || out != "ran from "+ref+"\n" {
		t.Errorf("pod of the loaded image: phase %s, log %q", got.Status.Phase, out)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

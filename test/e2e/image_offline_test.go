package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/test/clustertest"
)

// plantSecret puts a Secret with a unique value into kube-system, which the
// default gathering always collects, and returns the value.
func plantSecret(t *testing.T) string {
	t.Helper()
	cs := clustertest.Client(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	value := "planted-" + hex.EncodeToString(b)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{GenerateName: "planted-", Namespace: "kube-system"},
		StringData: map[string]string{"password": value}}
	got, err := cs.CoreV1().Secrets("kube-system").Create(t.Context(), s, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Secrets("kube-system").Delete(context.Background(), got.Name, metav1.DeleteOptions{})
	})
	return value
}

// assertNoLeakDeep is assertNoLeak that also reads inside .gz files.
func assertNoLeakDeep(t *testing.T, files map[string][]byte, planted string) {
	t.Helper()
	for name, content := range files {
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(content))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if content, err = io.ReadAll(zr); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
		}
		if bytes.Contains(content, []byte(planted)) {
			t.Errorf("%s leaks the planted secret value", name)
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range files(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// The offline flow of the README, its two commands run as written (mkdir
// -p must-gather, podman run --network=host with ./kubeconfig mounted) in a
// folder holding a copy of the test cluster's kubeconfig. Run by
// hack/image-test.sh, which builds IMAGE_REF into a throwaway podman store
// that the environment names (CONTAINERS_STORAGE_CONF), so the documented
// podman command needs no argument of its own.
func TestImageOfflinePodman(t *testing.T) {
	ref := os.Getenv("IMAGE_REF")
	if ref == "" {
		t.Skip("IMAGE_REF, IMAGE_VERSION and CONTAINERS_STORAGE_CONF (the throwaway podman store) are set by hack/image-test.sh, which runs this test")
	}
	if os.Getenv("IMAGE_VERSION") == "" || os.Getenv("CONTAINERS_STORAGE_CONF") == "" {
		// Not a skip: the script that asks for this test would pass unchecked.
		t.Fatal("IMAGE_REF is set, but not IMAGE_VERSION and CONTAINERS_STORAGE_CONF (the throwaway podman store)")
	}
	clustertest.RequireNode(t) // the default gather.d reads the node
	planted := plantSecret(t)
	mkdir := documented(t, "README.md", "mkdir -p must-gather")
	run := documented(t, "README.md", "podman run ")
	if !strings.HasSuffix(run, " "+ref) {
		t.Fatalf("the README runs another image than the one hack/image-test.sh built (%s): %s", ref, run)
	}
	dir := t.TempDir()
	kc, err := os.ReadFile(kubeconfigPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kc, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{mkdir, run} {
		if b, code := runShell(t, dir, os.Environ(), c); code != 0 {
			t.Fatalf("%s: exit %d\n%s", c, code, b)
		}
	}
	out := filepath.Join(dir, "must-gather")
	tree := readTree(t, out)
	if v, want := string(tree["version"]), "must-gather-toolkit\n"+os.Getenv("IMAGE_VERSION")+"\n"; v != want {
		t.Errorf("version file = %q, want %q", v, want)
	}
	if m := string(tree["gather-manifest.json"]); !strings.Contains(m, `"status": "ok"`) || !strings.Contains(m, `"gatherDir": "installed /usr/share/gather/gather.d"`) {
		t.Errorf("manifest: %.600s", m)
	}
	if !strings.Contains(string(tree["namespaces/kube-system/core/secrets.yaml"]), "planted-") {
		t.Error("the planted Secret (redacted) is not in kube-system's secrets.yaml: the leak check proves nothing")
	}
	assertNoLeakDeep(t, tree, planted)
	for _, f := range []string{"audit_logs/kube-apiserver.audit_logs_listing", "host_service_logs/masters/kubelet_service.log"} {
		if _, ok := tree[f]; !ok {
			t.Errorf("the default gathering lacks %s", f)
		}
	}

	// oc adm must-gather -- /usr/bin/gather_audit_logs
	audit := filepath.Join(t.TempDir(), "audit")
	if err := os.MkdirAll(audit, 0o750); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--rm", "--network=host",
		"-v", filepath.Join(dir, "kubeconfig") + ":/kubeconfig:Z", "-e", "KUBECONFIG=/kubeconfig",
		"-v", audit + ":/must-gather:Z", ref, "/usr/bin/gather_audit_logs"}
	if b, err := exec.CommandContext(t.Context(), "podman", args...).CombinedOutput(); err != nil {
		t.Fatalf("podman run gather_audit_logs: %v\n%s", err, b)
	}
	got := files(t, audit)
	if len(got) < 2 || !strings.Contains(strings.Join(got, " "), "audit_logs/kube-apiserver.audit_logs_listing") {
		t.Errorf("gather_audit_logs wrote %v", got)
	}
}

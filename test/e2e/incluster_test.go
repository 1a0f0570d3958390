package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/must-gather/toolkit/test/clustertest"
)

// gather inside a pod: the in-cluster config, the built-in gather.d, the
// image contract's /must-gather. (The real image comes with its own issue;
// this image holds just the static binary.)
func TestGatherInAPod(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gather")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/gather")
	build.Dir = root
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gather: %v\n%s", err, out)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ref := "localhost/mgtk/gather:e2e-" + hex.EncodeToString(b)
	clustertest.LoadImage(t, clustertest.BinaryImageArchive(t, bin, "usr/bin/gather", ref))

	p := clustertest.TestPod(ns, "gather")
	p.Spec.ServiceAccountName = clustertest.ServiceAccount(t, ns)
	p.Spec.Containers[0].Image = ref
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	p.Spec.Containers[0].Command = []string{"/usr/bin/gather", "--volume-percentage", "100", "--timeout", "2m"}
	createPod(t, p)
	got := clustertest.WaitForPod(t, ns, "gather", 3*time.Minute, clustertest.Finished)
	log := clustertest.Logs(t, ns, "gather", "main")
	if got.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("gather pod %s:\n%s", got.Status.Phase, log)
	}
	for _, want := range []string{
		"gathering from https://10.0.0.1:443 (Kubernetes v1.37.2) into /must-gather",
		"10-inspect:7: ok in",
		"20-audit-logs:4: ok in",
		"30-node-logs:3: ok in",
		": ok (",
		"result in /must-gather",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("gather log lacks %q:\n%s", want, log)
		}
	}
}

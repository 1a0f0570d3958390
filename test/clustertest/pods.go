package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestPod returns a pod running the test image with args (see
// test/cluster/testimage), pinned to the node, never restarted.
func TestPod(t testing.TB, ns, name string, args ...string) *corev1.Pod {
	t.Helper()
	node := harnessNode(t)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:                      node.Name,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: new(int64),
			Containers: []corev1.Container{{
				Name:            "main",
				Image:           node.TestImage,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         append([]string{"/testimage"}, args...),
			}},
		},
	}
}

// WaitForPod polls the pod until done says so, failing the test after
// timeout with the pod's last status.
func WaitForPod(t testing.TB, ns, name string, timeout time.Duration, done func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	cs := Client(t)
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = p
		return done(p), nil
	})
	if err != nil {
		status := "never seen"
		if last != nil {
			status = fmt.Sprintf("phase %s, conditions %v, containers %v", last.Status.Phase, last.Status.Conditions, last.Status.ContainerStatuses)
		}
		t.Fatalf("pod %s/%s: %v (%s)", ns, name, err, status)
	}
	return last
}

// Running and Finished are conditions for WaitForPod.
func Running(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning }
func Finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// Logs returns the current log of a pod's container.
func Logs(t testing.TB, ns, pod, container string) string {
	t.Helper()
	b, err := Client(t).CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(t.Context())
	if err != nil {
		t.Fatalf("logs of %s/%s: %v", ns, pod, err)
	}
	return string(b)
}

// ImageArchive writes a docker archive of the test image under another
// reference, for tests of image loading.
func ImageArchive(t testing.TB, ref string) string {
	t.Helper()
	return ImageArchiveAs(t, "testimage", ref)
}

// ImageArchiveAs writes a docker archive of the test image's binary at
// /entry. At usr/bin/gather it is a node agent that never answers (see
// test/cluster/testimage).
func ImageArchiveAs(t testing.TB, entry, ref string) string {
	t.Helper()
	return BinaryImageArchive(t, filepath.Join(filepath.Dir(harnessBinary(t)), "testimage"), entry, ref)
}

// BinaryImageArchive writes a docker archive of an image holding one static
// binary at /entry, which is also its entrypoint.
func BinaryImageArchive(t testing.TB, binary, entry, ref string) string {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "image.tar")
	out, err := exec.CommandContext(t.Context(), harnessBinary(t), "image-archive",
		"--binary", binary, "--entry", entry, "--tag", ref, "--output", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("writing image archive: %v\n%s", err, out)
	}
	return archive
}

// harnessBinary is the cached test cluster binary (TEST_CLUSTER_BIN, set by
// make test, or built now).
func harnessBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("TEST_CLUSTER_BIN"); bin != "" {
		return bin
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), filepath.Join(root, "hack", "cluster.sh"), "build").Output()
	if err != nil {
		t.Fatalf("hack/cluster.sh build: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// Package clustertest gives the product's tests the ONE real test cluster of
// a test run: the cluster named by TEST_KUBECONFIG, else the one `make
// cluster-up` started, else one it starts itself (once, under a file lock,
// so packages testing in parallel share it). It never imports
// k8s.io/kubernetes: the cluster is built and run by hack/cluster.sh from
// the separate test/cluster module, and what tests know of it (its
// kubeconfig, node, test image, journal) comes from the record the harness
// writes into its state directory (Info), never from copies here.
//
// In `go test -short` every test that asks for the cluster is skipped.
package clustertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/must-gather/toolkit/test/clusterinfo"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	once    sync.Once
	onceCfg *rest.Config
	onceErr error
	// onceDir is the harness's state directory when the cluster is the
	// harness's (not another one named by TEST_KUBECONFIG).
	onceDir string
)

// Config returns the client configuration of the test cluster, starting the
// cluster when none runs. It skips the test in -short mode.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the real test cluster (not in -short mode)")
	}
	once.Do(func() { onceCfg, onceDir, onceErr = ensure() })
	if onceErr != nil {
		t.Fatalf("test cluster: %v", onceErr)
	}
	return rest.CopyConfig(onceCfg)
}

// Client returns a clientset for the test cluster.
func Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(Config(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// RepoRoot finds the repository root (the directory holding hack/cluster.sh)
// from the working directory of the test.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "cluster.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (hack/cluster.sh) not found above the working directory")
		}
		dir = parent
	}
}

func ensure() (*rest.Config, string, error) {
	if kc := os.Getenv("TEST_KUBECONFIG"); kc != "" {
		cfg, err := load(kc)
		// The harness's record is beside its kubeconfig.
		dir := filepath.Dir(kc)
		if _, serr := os.Stat(filepath.Join(dir, infoFile)); serr != nil {
			dir = "" // not a cluster of the harness
		}
		return cfg, dir, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, "", err
	}
	dir := os.Getenv("TESTCLUSTER_DIR")
	if dir == "" {
		dir = filepath.Join(root, "_output", "cluster")
	}
	if cfg, err := loadHarness(dir); err == nil {
		return cfg, dir, nil
	}
	// Start one, once across every test process of this run.
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return nil, "", err
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	if cfg, err := loadHarness(dir); err == nil {
		return cfg, dir, nil // another test process started it meanwhile
	}
	cmd := exec.Command(filepath.Join(root, "hack", "cluster.sh"), "up", "--node")
	cmd.Env = append(os.Environ(), "TESTCLUSTER_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, "", fmt.Errorf("starting it with hack/cluster.sh up --node: %w\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "clustertest: started the test cluster; it keeps running: stop it with `make cluster-down`\n")
	cfg, err := loadHarness(dir)
	return cfg, dir, err
}

// loadHarness loads the cluster the harness's record in dir names.
func loadHarness(dir string) (*rest.Config, error) {
	info, err := clusterinfo.Read(dir)
	if err != nil {
		return nil, err
	}
	return load(info.Kubeconfig)
}

// load reads a kubeconfig and checks the cluster answers /readyz.
func load(kubeconfig string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.WarningHandler = rest.NoWarnings{}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		return nil, fmt.Errorf("cluster of %s not ready: %w", kubeconfig, err)
	}
	return cfg, nil
}

// Namespace creates a fresh namespace for the test and deletes it when the
// test ends.
func Namespace(t testing.TB) string {
	t.Helper()
	cs := Client(t)
	name := "t-" + sanitize(t.Name())
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.TrimRight(name, "-") + "-" + hex.EncodeToString(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"mgtk.test/namespace": "true",
		// Tests run privileged node pods.
		"pod-security.kubernetes.io/enforce": "privileged",
	}}}
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", name, err)
		}
	})
	// Pods are refused until the namespace's default service account exists.
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: default service account never appeared: %v", name, err)
	}
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// ServiceAccount creates a service account in ns bound to cluster-admin, so
// a pod running as it can use the in-cluster config to read anything.
func ServiceAccount(t testing.TB, ns string) string {
	t.Helper()
	cs := Client(t)
	const name = "gather"
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating service account: %v", err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(t.Context(), crb, metav1.CreateOptions{}); err != nil {
		t.Fatalf("binding service account: %v", err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
	})
	return name
}

// RequireNode fails the test unless the cluster has its Ready node, and
// returns the node's name. The test shares the node with other tests until
// it ends; a test that takes it alone (TakeNode) waits for them.
func RequireNode(t testing.TB) string {
	t.Helper()
	cs := Client(t)
	if _, alone := taken.Load(t); !alone {
		if _, again := sharing.LoadOrStore(t, true); !again {
			t.Cleanup(func() { sharing.Delete(t) })
			lockNode(t, syscall.LOCK_SH)
		}
	}
	name := NodeName(t)
	n, err := cs.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the test cluster has no node %s (start it with `make cluster-up CLUSTER_NODE=1`): %v", name, err)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return n.Name
		}
	}
	t.Fatalf("node %s is not Ready", name)
	return ""
}

// taken holds the tests that have the node alone (TakeNode), sharing those
// that share it (RequireNode): a test never waits for a lock it holds.
var taken, sharing sync.Map

// TakeNode gives the node to the test alone, once no other test (of any
// test process) uses it, and returns its name. It skips the test on a
// cluster that is not the harness's. Call it from a test that is not
// parallel: a parallel test waiting here holds one of go test's -parallel
// slots, and a test that shares the node may need a slot to end (its
// parallel subtests wait for one while it holds the node), so with two
// such waiters on two cores the run deadlocks. Tests that are not parallel
// run before the parallel ones start.
func TakeNode(t testing.TB) string {
	t.Helper()
	Config(t)
	if onceDir == "" {
		t.Skip("taking the node alone needs the harness's own cluster (TEST_KUBECONFIG names another)")
	}
	if _, shared := sharing.Load(t); shared {
		t.Fatal("TakeNode: the test shares the node already (RequireNode): take it first")
	}
	lockNode(t, syscall.LOCK_EX)
	taken.Store(t, true)
	t.Cleanup(func() { taken.Delete(t) })
	return NodeName(t)
}

// StopKubelet stops the node's kubelet for the rest of the test and returns
// when the node is NotReady; unreachable also drops what is sent to the
// kubelet's port (a powered-off node: calls time out instead of being
// refused). When the test ends the kubelet starts again and the node is
// Ready before another test gets it. The test must hold the node
// (TakeNode).
func StopKubelet(t testing.TB, unreachable bool) {
	t.Helper()
	if _, ok := taken.Load(t); !ok {
		t.Fatal("StopKubelet: the test does not hold the node (call TakeNode first)")
	}
	bin := harnessBinary(t)
	t.Cleanup(func() {
		// Not the test's context: it has ended by now.
		out, err := exec.Command(bin, "start-kubelet", "--dir", onceDir).CombinedOutput()
		if err != nil {
			t.Errorf("starting the kubelet again: %v\n%s", err, out)
		}
	})
	args := []string{"stop-kubelet", "--dir", onceDir}
	if unreachable {
		args = append(args, "--unreachable")
	}
	out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("stopping the kubelet: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// lockNode takes the node lock of the harness's cluster (shared or
// exclusive, a flock every test process sees) until the test ends. On a
// cluster that is not the harness's there is nothing to lock.
func lockNode(t testing.TB, how int) {
	t.Helper()
	if onceDir == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(onceDir, "node.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("node lock: %v", err)
	}
	t.Cleanup(func() { f.Close() }) // releases the lock
	err = wait.PollUntilContextCancel(t.Context(), 100*time.Millisecond, true, func(context.Context) (bool, error) {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("waiting for the node lock %s: %v", f.Name(), err)
	}
}

// LoadImage imports an OCI or docker archive into the node's containerd
// (what `make cluster-load-image ARCHIVE=...` does).
func LoadImage(t testing.TB, archive string) {
	t.Helper()
	Config(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), filepath.Join(root, "hack", "cluster.sh"), "load-image", archive)
	if onceDir != "" {
		// The cluster of TEST_KUBECONFIG, wherever its harness keeps it.
		cmd.Env = append(os.Environ(), "TESTCLUSTER_DIR="+onceDir)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("loading %s: %v\n%s", archive, err, out)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/must-gather/toolkit/test/clusterinfo"
)

// E2ENamespace and E2EServiceAccount name the service account whose
// binding lets pods in tests use the in-cluster config.
const (
	E2ENamespace      = "mgtk-e2e"
	E2EServiceAccount = "gather"
)

// up starts the cluster: the control plane, and the node when withNode.
func up(ctx context.Context, c *Config, withNode bool, progress io.Writer) (err error) {
	start := time.Now()
	if old, err := loadRunning(c.Dir); err == nil {
		if r := old.running(); len(r) > 0 {
			return fmt.Errorf("the test cluster is already running (%s; kubeconfig %s): stop it with `make cluster-down`", strings.Join(r, ", "), old.Kubeconfig())
		}
	}
	if err := c.checkNetworkFree(ctx); err != nil {
		return fmt.Errorf("cannot start the test cluster:\n%w", err)
	}
	if m := mountsUnder(c.Dir, c.RunDir); len(m) > 0 {
		return fmt.Errorf("mounts of an earlier cluster remain under %s (%s): run `make cluster-down`", c.Dir, m[0])
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return err
	}
	for _, d := range []string{c.Dir, c.LogDir(), filepath.Dir(c.PidFile("x")), c.RunDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	c.Node = withNode
	if withNode && c.JournalDir != "none" && c.checkOwned(c.JournalDir, markOf(c.JournalDir)) != nil {
		// A host whose journald keeps a volatile journal: leave it alone.
		fmt.Fprintf(progress, "%s is in use on this host: the node gets no test journal (TESTCLUSTER_JOURNAL_DIR=none)\n", c.JournalDir)
		c.JournalDir = "none"
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.configFile(), b, 0o600); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fmt.Fprintf(progress, "start failed; tearing down (logs in %s)\n", c.LogDir())
			if derr := down(context.Background(), c, io.Discard); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	if err := c.claimHostPaths(); err != nil {
		return err
	}
	if err := c.writeRotatedAuditLogs(time.Now()); err != nil {
		return fmt.Errorf("writing rotated audit logs: %w", err)
	}
	p, err := writePKI(c)
	if err != nil {
		return fmt.Errorf("writing PKI: %w", err)
	}
	server := c.APIServerURL()
	for path, stem := range map[string]string{
		c.Kubeconfig():                          "admin",
		c.path("controller-manager.kubeconfig"): "controller-manager",
		c.path("scheduler.kubeconfig"):          "scheduler",
		c.path("node.kubeconfig"):               "node",
	} {
		if err := p.writeKubeconfig(path, server, stem); err != nil {
			return err
		}
	}
	if err := c.setupNetwork(ctx); err != nil {
		return fmt.Errorf("setting up the network: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "starting the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)\n")
	if err := c.startDaemon("controlplane", filepath.Join(c.LogDir(), "controlplane.log"), self, "controlplane", "--dir", c.Dir); err != nil {
		return err
	}
	if err := waitReady(ctx, c, 2*time.Minute); err != nil {
		return fmt.Errorf("control plane not ready: %w (see %s)", err, filepath.Join(c.LogDir(), "controlplane.log"))
	}
	cs, err := c.client()
	if err != nil {
		return err
	}
	if err := createE2EServiceAccount(ctx, cs); err != nil {
		return err
	}
	fmt.Fprintf(progress, "control plane ready in %s\n", time.Since(start).Round(100*time.Millisecond))
	if withNode {
		if err := startNode(ctx, c, cs, self, progress); err != nil {
			return err
		}
		fmt.Fprintf(progress, "node %s ready in %s\n", c.NodeName, time.Since(start).Round(100*time.Millisecond))
	}
	// Last: the record says the cluster is up.
	if err := clusterinfo.Write(c.Dir, c.info()); err != nil {
		return fmt.Errorf("writing %s: %w", c.infoFile(), err)
	}
	fmt.Fprintf(progress, "test cluster up; kubeconfig: %s\n", c.Kubeconfig())
	return nil
}

func (c *Config) client() (*kubernetes.Clientset, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(rc)
}

func waitReady(ctx context.Context, c *Config, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		cs, err := c.client()
		if err != nil {
			return false, err
		}
		_, last = cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w: %v", err, last)
	}
	return err
}

func createE2EServiceAccount(ctx context.Context, cs kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: E2ENamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: E2EServiceAccount, Namespace: E2ENamespace}}
	if _, err := cs.CoreV1().ServiceAccounts(E2ENamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: E2ENamespace + "-" + E2EServiceAccount},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: E2EServiceAccount, Namespace: E2ENamespace}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

func startNode(ctx context.Context, c *Config, cs kubernetes.Interface, self string, progress io.Writer) error {
	fmt.Fprintf(progress, "starting the node (containerd, kubelet) in network namespace %s\n", c.NetNS)
	if err := c.writeNodeConfig(); err != nil {
		return err
	}
	if err := c.createCgroupRoot(); err != nil {
		return fmt.Errorf("creating cgroup root %s: %w", c.CgroupRoot, err)
	}
	ns := "--net=" + c.NetNSPath()
	if err := c.startDaemon("containerd", filepath.Join(c.LogDir(), "containerd.log"),
		"nsenter", ns, "--", "containerd", "--config", filepath.Join(c.containerdDir(), "config.toml")); err != nil {
		return err
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, err := os.Stat(c.ContainerdSocket())
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("containerd did not start (see %s): %w", filepath.Join(c.LogDir(), "containerd.log"), err)
	}
	if err := c.writeJournal(time.Now()); err != nil {
		return fmt.Errorf("writing the node's journal: %w", err)
	}
	archive := c.path("testimage.tar")
	if err := writeImageArchive(filepath.Join(filepath.Dir(self), "testimage"), "testimage", TestImage, archive); err != nil {
		return fmt.Errorf("building the test image: %w", err)
	}
	if err := c.loadImage(ctx, archive); err != nil {
		return fmt.Errorf("loading the test image: %w", err)
	}
	if err := c.startKubelet(ctx, cs, self); err != nil {
		return err
	}
	patch := []byte(`{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/master":""}}}`)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, c.NodeName, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("labelling node: %w", err)
	}
	// Pods need the default service account, which the controller-manager
	// creates; wait for it so the first test pod is not refused.
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

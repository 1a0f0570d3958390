package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// ownerMark is written next to host paths the harness takes, so a later
// start or stop of the same cluster (the same state directory) knows they
// are its own, and another cluster on the machine knows they are not.
func (c *Config) ownerMark() string {
	return "owned by the must-gather-toolkit test cluster in " + c.Dir + "; removed by `make cluster-down`\n"
}

// E2ENamespace and E2EServiceAccount name the service account whose
// binding lets pods in tests use the in-cluster config.
const (
	E2ENamespace      = "mgtk-e2e"
	E2EServiceAccount = "gather"
)

func (c *Config) configFile() string  { return c.path("config.json") }
func (c *Config) claimedFile() string { return c.path("claimed-paths") }

// loadRunning reads the configuration a running (or stopped) cluster was
// started with, so down and load-image act on what up created.
func loadRunning(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var c Config
	return &c, json.Unmarshal(b, &c)
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// running reports the live daemons of the cluster.
func (c *Config) running() []string {
	var out []string
	for _, n := range []string{"controlplane", "containerd", "kubelet"} {
		if alive(readPid(c.PidFile(n))) {
			out = append(out, n)
		}
	}
	return out
}

// startDaemon starts argv detached from us (own session), with its output
// in logFile, and records its pid.
func (c *Config) startDaemon(name, logFile string, argv ...string) error {
	if err := os.MkdirAll(filepath.Dir(c.PidFile(name)), 0o700); err != nil {
		return err
	}
	lf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer lf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	if err := os.WriteFile(c.PidFile(name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		return err
	}
	// Reap it if it dies while we still run, so alive() sees it gone.
	go func() { _ = cmd.Wait() }()
	return nil
}

// stopDaemon sends SIGTERM, waits up to grace, then SIGKILLs.
func (c *Config) stopDaemon(name string, grace time.Duration) {
	pid := readPid(c.PidFile(name))
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			for i := 0; alive(pid) && i < 50; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	_ = os.Remove(c.PidFile(name))
}

// checkOwned refuses a host path that exists without our mark.
func (c *Config) checkOwned(path, mark string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != c.ownerMark() {
		return fmt.Errorf("%s exists and is not the test cluster's (no %s): refusing to use it", path, mark)
	}
	return nil
}

// claim marks a host path as ours and records it, so stop removes it and
// the residue check looks for it.
func (c *Config) claim(path, mark string) error {
	if err := os.WriteFile(mark, []byte(c.ownerMark()), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(c.claimedFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\n%s\n", path, mark)
	return errors.Join(err, f.Close())
}

// markOf names the file that marks a host path as the harness's own.
func markOf(path string) string { return path + ".mgtk-testcluster" }

// Host paths outside Dir that the cluster writes: the real places where
// collectors look (audit logs, the kubelet's log), the kubelet's fixed pod
// log directories, and containerd's fixed shim-socket directory.
// The node's paths are taken only when the node runs.
func (c *Config) exclusivePaths() []string {
	if !c.Node {
		return []string{c.AuditLogDir}
	}
	paths := []string{c.AuditLogDir, c.KubeletLogFile, "/var/log/pods", "/var/log/containers"}
	if c.JournalDir != "none" {
		paths = append(paths, c.JournalDir)
	}
	return paths
}

// Directories other programs share, fixed in containerd and iproute2: taken
// only when absent, and then removed only while empty.
var sharedDirs = []string{"/run/containerd", "/run/netns"}

// claimHostPaths takes the host paths: each only when it is absent or
// already marked as ours; containerd's socket directory is taken only when
// absent (another containerd may share it).
func (c *Config) claimHostPaths() error {
	var errs []error
	for _, p := range c.exclusivePaths() {
		errs = append(errs, c.checkOwned(p, markOf(p)))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range c.exclusivePaths() {
		// Ours from an earlier run, or new: start empty.
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := c.claim(p, markOf(p)); err != nil {
			return err
		}
	}
	for _, d := range sharedDirs {
		if c.checkOwned(d, markOf(d)) == nil {
			if err := c.claim(d, markOf(d)); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(c.AuditLogDir, 0o750); err != nil {
		return err
	}
	if !c.Node {
		return nil
	}
	f, err := os.OpenFile(c.KubeletLogFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	return f.Close()
}

// releaseHostPaths removes the host paths, but only those marked as ours.
func (c *Config) releaseHostPaths() error {
	var errs []error
	for _, p := range c.exclusivePaths() {
		if b, err := os.ReadFile(markOf(p)); err == nil && string(b) == c.ownerMark() {
			errs = append(errs, os.RemoveAll(p), os.Remove(markOf(p)))
		}
	}
	for _, d := range sharedDirs {
		if b, err := os.ReadFile(markOf(d)); err == nil && string(b) == c.ownerMark() {
			// `ip netns add` bind-mounts /run/netns onto itself; undo that
			// only once nobody else has a namespace there.
			if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
				for _, m := range mountsUnder(d) {
					_ = syscall.Unmount(m, syscall.MNT_DETACH)
				}
			}
			removeEmptyDirs(d)
			errs = append(errs, os.Remove(markOf(d)))
		}
	}
	return errors.Join(errs...)
}

// dirsDeepestFirst lists dir and the directories below it, children before
// their parents, so they can be removed in that order.
func dirsDeepestFirst(dir string) []string {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	slices.Reverse(dirs)
	return dirs
}

// removeEmptyDirs removes dir and the directories below it that are empty,
// deepest first; it never removes a file.
func removeEmptyDirs(dir string) {
	for _, d := range dirsDeepestFirst(dir) {
		_ = os.Remove(d) // fails, as it should, when not empty
	}
}

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

// startKubelet starts the kubelet in the node's network namespace and
// waits until its node is Ready.
func (c *Config) startKubelet(ctx context.Context, cs kubernetes.Interface, self string) error {
	// Reachable again (stop-kubelet --unreachable): remove every copy of
	// the rule; -C fails when there is none left.
	for {
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-C"}, kubeletDrop...)...); err != nil {
			break
		}
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-D"}, kubeletDrop...)...); err != nil {
			return fmt.Errorf("making the kubelet's port reachable again: %w", err)
		}
	}
	if err := c.startDaemon("kubelet", c.KubeletLogFile,
		append([]string{"nsenter", "--net=" + c.NetNSPath(), "--", self, "kubelet"}, c.kubeletArgs()...)...); err != nil {
		return err
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if !alive(readPid(c.PidFile("kubelet"))) {
			return false, fmt.Errorf("the kubelet exited (see %s)", c.KubeletLogFile)
		}
		n, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		cond := readyCondition(n)
		if cond == nil {
			last = "no Ready condition"
			return false, nil
		}
		last = fmt.Sprintf("Ready=%s: %s", cond.Status, cond.Message)
		// Ready, and the node controller has taken back the taints of its
		// absence (a restarted kubelet), so pods schedule.
		return cond.Status == corev1.ConditionTrue && !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == corev1.TaintNodeUnreachable || t.Key == corev1.TaintNodeNotReady
		}), nil
	})
	if err != nil {
		return fmt.Errorf("node %s not ready (%s): %w", c.NodeName, last, err)
	}
	// Ready says the kubelet reaches the apiserver; logs and exec need the
	// way back too.
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "healthz").DoRaw(ctx)
		last = fmt.Sprint(err)
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("node %s: the apiserver cannot reach its kubelet (%s): %w", c.NodeName, last, err)
	}
	return nil
}

// kubeletDrop drops what reaches the kubelet's port in the node's network
// namespace: the node answers nothing there, as a powered-off node would.
var kubeletDrop = []string{"INPUT", "-p", "tcp", "--dport", "10250", "-j", "DROP"}

// stopKubelet stops the node's kubelet (its pods keep running) and waits
// until the node controller marks the node NotReady. unreachable also drops
// what is sent to the kubelet's port, so the apiserver's calls to it time
// out instead of being refused.
func (c *Config) stopKubelet(ctx context.Context, cs kubernetes.Interface, unreachable bool) error {
	if !alive(readPid(c.PidFile("kubelet"))) {
		return fmt.Errorf("the kubelet of %s is not running", c.NodeName)
	}
	c.stopDaemon("kubelet", 15*time.Second)
	if unreachable {
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-I"}, kubeletDrop...)...); err != nil {
			return fmt.Errorf("making the kubelet's port unreachable: %w", err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		cond := readyCondition(n)
		return cond != nil && cond.Status != corev1.ConditionTrue, nil
	})
}

// readyCondition is the node's Ready condition, or nil.
func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// down stops everything up started and removes what it left on the host:
// processes, mounts, the network namespace, cgroups and /var/log paths.
func down(ctx context.Context, c *Config, progress io.Writer) error {
	var errs []error
	start := time.Now()
	step := func(what string) {
		fmt.Fprintf(progress, "  %-28s %s\n", what, time.Since(start).Round(100*time.Millisecond))
	}
	c.stopDaemon("kubelet", 15*time.Second)
	step("kubelet stopped")
	if alive(readPid(c.PidFile("containerd"))) {
		if err := c.removePodSandboxes(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	step("pod sandboxes removed")
	c.stopDaemon("containerd", 15*time.Second)
	step("containerd stopped")
	c.stopDaemon("controlplane", 40*time.Second)
	step("control plane stopped")
	// Shims and anything else still naming our directories.
	for _, pid := range processesUsing(c.Dir, c.RunDir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := c.removeCgroupRoot(); err != nil {
		errs = append(errs, err)
	}
	for _, m := range mountsUnder(c.Dir, c.RunDir) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
		}
	}
	if err := c.teardownNetwork(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := c.releaseHostPaths(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, os.RemoveAll(c.RunDir), os.RemoveAll(filepath.Join(c.NodeDir())))
	_ = os.Remove(c.Kubeconfig())
	if rest := residue(c); len(rest) > 0 {
		errs = append(errs, fmt.Errorf("left behind after stopping:\n  %s", strings.Join(rest, "\n  ")))
	}
	err := errors.Join(errs...)
	if err == nil {
		fmt.Fprintf(progress, "test cluster stopped; nothing left behind (logs kept in %s)\n", c.LogDir())
	}
	return err
}

// residue lists what a stopped cluster must not leave: processes, mounts,
// the network namespace and host link, cgroups, and /var/log paths.
func residue(c *Config) []string {
	var out []string
	for _, pid := range processesUsing(c.Dir, c.RunDir) {
		out = append(out, fmt.Sprintf("process %d (%s)", pid, cmdline(pid)))
	}
	for _, m := range mountsUnder(c.Dir, c.RunDir) {
		out = append(out, "mount "+m)
	}
	if _, err := os.Stat(c.NetNSPath()); err == nil {
		out = append(out, "network namespace "+c.NetNS)
	}
	if _, err := os.Stat("/sys/class/net/" + c.HostVeth); err == nil {
		out = append(out, "interface "+c.HostVeth)
	}
	if hs, err := cgroupHierarchies(); err == nil {
		for _, h := range hs {
			if _, err := os.Stat(filepath.Join(h, c.CgroupRoot)); err == nil {
				out = append(out, "cgroup "+filepath.Join(h, c.CgroupRoot))
			}
		}
	}
	if b, err := os.ReadFile(c.claimedFile()); err == nil {
		for _, p := range strings.Fields(string(b)) {
			if _, err := os.Stat(p); err == nil {
				out = append(out, "file "+p)
			}
		}
	}
	if _, err := os.Stat(c.RunDir); err == nil {
		out = append(out, "directory "+c.RunDir)
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// processesUsing lists processes (not this one) whose command line names
// one of the directories.
func processesUsing(dirs ...string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl := cmdline(pid)
		for _, d := range dirs {
			if strings.Contains(cl, d+"/") || strings.HasSuffix(cl, d) || strings.Contains(cl, d+" ") {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// mountsUnder lists mount points below the directories, deepest first.
func mountsUnder(dirs ...string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		for _, d := range dirs {
			if mp == d || strings.HasPrefix(mp, d+"/") {
				out = append(out, mp)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

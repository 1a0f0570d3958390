package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	criremote "k8s.io/cri-client/pkg"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

// TestImage is the image the harness loads into the node: a static Go
// binary that also serves as the pod sandbox (pause) image.
const TestImage = "localhost/mgtk/testimage:v1"

const containerdConfig = `version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[debug]
  level = "info"
[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  # No CAP_SYS_RESOURCE on our machines: without this, runc fails every
  # sandbox ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "runc"
        Root = %[6]q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[7]q
`

const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %[1]q
containerRuntimeEndpoint: %[2]q
address: %[3]q
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
tlsCertFile: %[4]q
tlsPrivateKeyFile: %[5]q
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %[6]q
authorization:
  mode: Webhook
failSwapOn: false
enableSystemLogHandler: true
enableSystemLogQuery: true
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%%"
  nodefs.inodesFree: "1%%"
  imagefs.available: "1%%"
clusterDomain: cluster.local
serializeImagePulls: false
# Renew the node lease every 2.5 s (a quarter of it), so the controller
# manager's short grace period (controlplane.go) marks a stopped kubelet's
# node NotReady in seconds without a busy machine tripping it.
nodeLeaseDurationSeconds: 10
maxPods: %[7]d
`

func (c *Config) containerdDir() string { return filepath.Join(c.NodeDir(), "containerd") }
func (c *Config) cniConfDir() string    { return filepath.Join(c.NodeDir(), "cni") }

// writeNodeConfig writes the containerd, CNI and kubelet configurations.
func (c *Config) writeNodeConfig() error {
	for _, d := range []string{c.containerdDir(), c.cniConfDir(), c.RunDir, filepath.Join(c.NodeDir(), "kubelet")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	ctrd := fmt.Sprintf(containerdConfig,
		filepath.Join(c.containerdDir(), "root"),
		filepath.Join(c.RunDir, "state"),
		c.ContainerdSocket(),
		filepath.Join(c.containerdDir(), "opt"),
		TestImage,
		filepath.Join(c.RunDir, "runc"),
		c.cniConfDir())
	if err := os.WriteFile(filepath.Join(c.containerdDir(), "config.toml"), []byte(ctrd), 0o600); err != nil {
		return err
	}

	cni := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "mgtk",
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      c.Bridge,
			"isGateway":   true,
			"ipMasq":      false,
			"hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": c.PodCIDR}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}}, // isGateway alone adds no default route
				"dataDir": filepath.Join(c.NodeDir(), "cni-ipam"),
			},
		}},
	}
	b, err := json.MarshalIndent(cni, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.cniConfDir(), "10-mgtk.conflist"), b, 0o600); err != nil {
		return err
	}

	pki := c.PKIDir()
	kc := fmt.Sprintf(kubeletConfig,
		c.CgroupRoot,
		"unix://"+c.ContainerdSocket(),
		c.NodeIP,
		filepath.Join(pki, "kubelet.crt"),
		filepath.Join(pki, "kubelet.key"),
		filepath.Join(pki, "ca.crt"),
		c.MaxPods)
	return os.WriteFile(filepath.Join(c.NodeDir(), "kubelet-config.yaml"), []byte(kc), 0o600)
}

func (c *Config) kubeletArgs() []string {
	return []string{
		"--config=" + filepath.Join(c.NodeDir(), "kubelet-config.yaml"),
		"--kubeconfig=" + filepath.Join(c.Dir, "node.kubeconfig"),
		"--root-dir=" + filepath.Join(c.NodeDir(), "kubelet"),
		"--cert-dir=" + filepath.Join(c.NodeDir(), "kubelet", "pki"),
		"--node-ip=" + c.NodeIP,
		"--hostname-override=" + c.NodeName,
	}
}

// runKubelet runs the kubelet in this process until SIGTERM or SIGINT. The
// harness starts it inside the node's network namespace.
func runKubelet(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cmd := kubelet.NewKubeletCommand(ctx)
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

// cgroupHierarchies lists the mounted cgroup v1 hierarchies.
func cgroupHierarchies() ([]string, error) {
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join("/sys/fs/cgroup", e.Name())
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			continue // cpu,cpuacct style links
		}
		if _, err := os.Stat(filepath.Join(p, "cgroup.procs")); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// createCgroupRoot pre-creates the node's private cgroup root in every
// hierarchy; the kubelet wants it to exist.
func (c *Config) createCgroupRoot() error {
	hs, err := cgroupHierarchies()
	if err != nil {
		return err
	}
	for _, h := range hs {
		d := filepath.Join(h, c.CgroupRoot)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if filepath.Base(h) == "cpuset" {
			// A new cpuset has no CPUs or memory nodes: inherit the parent's.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				b, err := os.ReadFile(filepath.Join(h, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, f), b, 0o644); err != nil {
					return fmt.Errorf("setting %s of %s: %w", f, d, err)
				}
			}
		}
	}
	return nil
}

// removeCgroupRoot kills what is left in the private cgroup trees and
// removes them, deepest first.
func (c *Config) removeCgroupRoot() error {
	hs, err := cgroupHierarchies()
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range hs {
		root := filepath.Join(h, c.CgroupRoot)
		if _, err := os.Stat(root); err != nil {
			continue
		}
		for _, dir := range dirsDeepestFirst(root) {
			killCgroupProcs(dir)
			var err error
			for try := 0; try < 50; try++ {
				if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func killCgroupProcs(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// removePodSandboxes stops and removes every pod sandbox through CRI, so
// containerd unmounts their filesystems and deletes their network
// namespaces before it stops. A few at a time, each call with a generous
// limit: one after the other, with 200 pods (the benchmark's), calls ran
// into the connection's 10 s limit and down failed though all went away.
func (c *Config) removePodSandboxes(ctx context.Context) error {
	if _, err := os.Stat(c.ContainerdSocket()); err != nil {
		return nil
	}
	rs, err := criremote.NewRemoteRuntimeService(ctx, "unix://"+c.ContainerdSocket(), time.Minute, nil, false)
	if err != nil {
		return fmt.Errorf("connecting to containerd: %w", err)
	}
	pods, err := rs.ListPodSandbox(ctx, nil)
	if err != nil {
		return fmt.Errorf("listing pod sandboxes: %w", err)
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 4)
	)
	for _, p := range pods {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var perr error
			if err := rs.StopPodSandbox(ctx, p.Id); err != nil {
				perr = fmt.Errorf("stopping sandbox %s: %w", p.Metadata.GetName(), err)
			}
			if err := rs.RemovePodSandbox(ctx, p.Id); err != nil {
				perr = errors.Join(perr, fmt.Errorf("removing sandbox %s: %w", p.Metadata.GetName(), err))
			}
			if perr != nil {
				mu.Lock()
				errs = append(errs, perr)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// JournalUnit is the unit whose entries the node's journal holds, and
// JournalEntries those entries: message and age at the cluster's start.
// One is older than the node collectors' default window of 7 days.
const JournalUnit = "crio"

var JournalEntries = []struct {
	Message string
	Age     time.Duration
}{
	{"mgtk journal entry from ten days ago", 10 * 24 * time.Hour},
	{"mgtk journal entry from an hour ago", time.Hour},
	{"mgtk journal entry from a minute ago", time.Minute},
}

// journalPID is the process ID of JournalEntries.
const journalPID = 4242

// writeJournal gives the node a systemd journal (the host's, as the node is
// this host): a file of JournalEntries of the crio unit in JournalDir/<the
// host's machine ID>/, where journalctl finds it, written by
// systemd-journal-remote from the journal export format.
func (c *Config) writeJournal(now time.Time) error {
	if c.JournalDir == "none" {
		return nil
	}
	tool := "/lib/systemd/systemd-journal-remote"
	if _, err := os.Stat(tool); err != nil {
		return fmt.Errorf("%s not found (package systemd-journal-remote; hack/install-deps.sh installs it): %w", tool, err)
	}
	machineID, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		return err
	}
	bootID, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return err
	}
	boot := strings.ReplaceAll(strings.TrimSpace(string(bootID)), "-", "")
	var export strings.Builder
	for i, e := range JournalEntries {
		fmt.Fprintf(&export, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n_MACHINE_ID=%s\n_HOSTNAME=%s\n"+
			"_SYSTEMD_UNIT=%s.service\nSYSLOG_IDENTIFIER=%s\n_PID=%d\nPRIORITY=6\nMESSAGE=%s\n\n",
			now.Add(-e.Age).UnixMicro(), i+1, boot, strings.TrimSpace(string(machineID)), c.NodeName, JournalUnit, JournalUnit, journalPID, e.Message)
	}
	src := c.path("journal.export")
	if err := os.WriteFile(src, []byte(export.String()), 0o600); err != nil {
		return err
	}
	dir := filepath.Join(c.JournalDir, strings.TrimSpace(string(machineID)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := exec.Command(tool, "--output="+filepath.Join(dir, "mgtk-testcluster.journal"), src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, out)
	}
	return nil
}

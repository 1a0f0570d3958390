package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

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
	_ = os.Remove(c.infoFile())
	if rest := residue(c); len(rest) > 0 {
		errs = append(errs, fmt.Errorf("left behind after stopping:\n  %s", strings.Join(rest, "\n  ")))
	}
	err := errors.Join(errs...)
	if err == nil {
		fmt.Fprintf(progress, "test cluster stopped; nothing left behind (logs kept in %s)\n", c.LogDir())
	}
	return err
}

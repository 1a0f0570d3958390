package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process supervision: the cluster's daemons run detached, each known by
// its pid file in the state directory.

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

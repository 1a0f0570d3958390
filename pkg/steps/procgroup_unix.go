//go:build unix

package steps

import (
	"os/exec"
	"syscall"
)

// newProcessGroup makes cmd lead a process group of its own, so that
// stopping it reaches everything it started.
func newProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// stopProcessGroup asks the group to end (SIGTERM).
func stopProcessGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

// killProcessGroup ends what is left of the group (SIGKILL); a group that
// is gone already is no error worth reporting.
func killProcessGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

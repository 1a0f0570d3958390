package steps

import "os/exec"

// newProcessGroup does nothing on Windows: it has no process groups to
// signal, and a step's program is ended on its own.
func newProcessGroup(*exec.Cmd) {}

// stopProcessGroup ends the program: Windows cannot send it SIGTERM.
func stopProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

// killProcessGroup ends the program if it still runs.
func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

package mustgather

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// guardRun starts the guard script with the local bash over dir.
func guardRun(t *testing.T, dir string, limit string, command ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	args := append([]string{"-c", guardScript, "volume-guard", dir, limit, "1"}, command...)
	cmd := exec.CommandContext(t.Context(), "bash", args...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func exitOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestVolumeGuard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("the command's status", func(t *testing.T) {
		t.Parallel()
		cmd, out := guardRun(t, dir, "100", "bash", "-c", "echo gathered; exit 7")
		if code := exitOf(cmd.Wait()); code != 7 || !strings.Contains(out.String(), "gathered") {
			t.Errorf("exit %d, output %q; want 7 and the command's output", code, out.String())
		}
	})
	t.Run("above the limit the command is killed", func(t *testing.T) {
		t.Parallel()
		// Any used filesystem is above 0%: the first look stops it.
		start := time.Now()
		cmd, out := guardRun(t, dir, "0", "sleep", "60")
		code := exitOf(cmd.Wait())
		if code != 128+int(syscall.SIGKILL) || !strings.Contains(out.String(), "above --volume-percentage 0: stopping the gather") {
			t.Errorf("exit %d, output %q; want %d and the guard's line", code, out.String(), 128+int(syscall.SIGKILL))
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("took %s", took)
		}
	})
	t.Run("SIGTERM stops the command and its children", func(t *testing.T) {
		t.Parallel()
		cmd, out := guardRun(t, dir, "100", "bash", "-c", "echo started; sleep 60; echo not stopped")
		// The trap is set before the command starts.
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "started"); {
			if time.Now().After(deadline) {
				t.Fatal("the command did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code := exitOf(cmd.Wait())
		if code != 128+int(syscall.SIGTERM) || strings.Contains(out.String(), "not stopped") {
			t.Errorf("exit %d, output %q; want %d", code, out.String(), 128+int(syscall.SIGTERM))
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("stopping took %s", took)
		}
	})
}

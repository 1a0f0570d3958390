package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/steps"
)

// TestMain lets a test run this test binary as the gather command itself
// (GATHER_TEST_MAIN=1), so signals reach a real process.
func TestMain(m *testing.M) {
	if os.Getenv("GATHER_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// On SIGTERM the runner stops the current step, skips the rest, finishes
// the manifest and exits 3.
func TestSIGTERMFinishesTheRecord(t *testing.T) {
	gd := t.TempDir()
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(gd, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	marker := filepath.Join(t.TempDir(), "started")
	write("10-quick", "#!/bin/sh\necho quick > quick.txt\n", 0o755)
	write("20-hang", "#!/bin/sh\ntouch "+marker+"\nexec sleep 300\n", 0o755)
	write("30-never", "#!/bin/sh\necho never > never.txt\n", 0o755)
	dest := filepath.Join(t.TempDir(), "out")

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "--dest-dir", dest, "--gather-dir", gd, "--volume-percentage", "100",
		"--kubeconfig", filepath.Join(t.TempDir(), "absent"))
	cmd.Env = append(os.Environ(), "GATHER_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the hanging step never started:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != cli.ExitPartial {
		t.Fatalf("exit: %v, want code %d\n%s", err, cli.ExitPartial, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dest, steps.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m steps.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range m.Steps {
		got = append(got, s.Name+"="+s.Status)
	}
	if strings.Join(got, " ") != "10-quick=ok 20-hang=failed 30-never=skipped" || m.End == nil ||
		!strings.Contains(m.StopReason, "terminated signal received") {
		t.Errorf("manifest: steps %v, end %v, stop reason %q", got, m.End, m.StopReason)
	}
	if _, err := os.Stat(filepath.Join(dest, "never.txt")); err == nil {
		t.Error("a step after the signal ran")
	}
}

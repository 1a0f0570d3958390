//go:build unix

package steps

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/leakscan"
	"github.com/must-gather/toolkit/pkg/output"
)

// scriptSteps writes scripts as executable step files into dir and returns
// a sink into dest and the steps.
func scriptSteps(t *testing.T, dir, dest string, scripts map[string]string) (*output.Sink, []Step) {
	t.Helper()
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps, _, err := Load(os.DirFS(dir), Vars{}, ExecutableIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	return sink, steps
}

func TestRunPrograms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scripts := map[string]string{
		"10-writes": "#!/bin/sh\necho \"dest is $BASE_COLLECTION_PATH\"\necho data > from-script.txt\n",
		"20-fails":  "#!/bin/sh\necho about to fail >&2\nexit 2\n",
		// A child that outlives its parent's budget must not outlive the step.
		"30-hangs": "#!/bin/sh\nsleep 300 &\necho $! > \"$PIDFILE\"\nwait\n",
		"40-after": "#!/bin/sh\necho ok > after.txt\n",
	}
	dest := t.TempDir()
	sink, steps := scriptSteps(t, dir, dest, scripts)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The hanging script gets a short budget through a whole-run timeout
	// split four ways.
	m, err := Run(context.Background(), sink, steps, Options{
		Timeout:    2 * time.Second,
		KillGrace:  100 * time.Millisecond,
		ProgramEnv: []string{"BASE_COLLECTION_PATH=" + dest, "PIDFILE=" + pidFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(m)
	want := []outcome{
		{"10-writes", "ok", "", 1},
		{"20-fails", "failed", "exit status 2", 0},
		{"30-hangs", "timed-out", "no result within its budget", 0},
		{"40-after", "ok", "", 1},
	}
	for i := range got {
		if want[i].Error != "" && strings.Contains(got[i].Error, want[i].Error) {
			got[i].Error = want[i].Error
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("bad pid file %q", b)
	}
	for i := 0; i < 50 && running(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if running(pid) {
		t.Errorf("the hanging script's child %d still runs after the step", pid)
	}
	log, err := os.ReadFile(filepath.Join(dest, RunLogFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"10-writes: dest is " + dest, "20-fails: about to fail"} {
		if !strings.Contains(string(log), line) {
			t.Errorf("run log lacks %q:\n%s", line, log)
		}
	}
}

func TestRunStopsWhenDiskFull(t *testing.T) {
	t.Parallel()
	used := 10.0
	sink, err := output.New(t.TempDir(), output.Options{VolumePercentage: 70, Usage: func(string) (float64, error) { return used, nil }})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	inner := reg["write"]
	reg["fill"] = func() builtin.Builtin {
		used = 95 // the disk fills up as this step starts
		return inner()
	}
	steps := parseFile("10-a", "write a.txt\nfill b.txt\nwrite c.txt\n", Vars{})
	m, err := Run(context.Background(), sink, steps, Options{Registry: reg, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(m)
	want := []outcome{
		{"10-a:1", "ok", "", 1},
		{"10-a:2", "failed", "destination volume above --volume-percentage", 0},
		{"10-a:3", "skipped", "destination volume above --volume-percentage", 0},
	}
	for i := range got {
		if strings.Contains(got[i].Error, want[i].Error) {
			got[i].Error = want[i].Error
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !strings.Contains(m.StopReason, "is 95% used, limit 70%") {
		t.Errorf("stop reason = %q", m.StopReason)
	}
}

// running reports a live process; a killed one that nobody reaped yet (a
// zombie, state Z) does not count.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// The final leak scan reads what executable steps wrote past the sink: a
// value a rule elided is redacted in place, and the manifest names the file
// and the rule, never the value.
func TestRunScansForLeaks(t *testing.T) {
	t.Parallel()
	const value = "planted-leak-0123456789"
	dest := t.TempDir()
	sink, steps := scriptSteps(t, t.TempDir(), dest, map[string]string{
		"10-leaks": "#!/bin/sh\necho \"password is " + value + "\" > step.txt\n",
	})
	scanner := leakscan.New()
	scanner.Elided("Secret data", value)
	m, err := Run(t.Context(), sink, steps, Options{
		Timeout:  time.Minute,
		LeakScan: func(ctx context.Context, root string) ([]leakscan.Leak, error) { return scanner.ScanTree(ctx, root, 2) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]leakscan.Leak{{File: "step.txt", Rule: "Secret data", Count: 1}}, m.LeaksRedacted); diff != "" {
		t.Errorf("leaks in the manifest (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(dest, "step.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "password is REDACTED\n" {
		t.Errorf("step.txt = %q", got)
	}
	for _, f := range []string{ManifestFile, RunLogFile} {
		b, err := os.ReadFile(filepath.Join(dest, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), value) {
			t.Errorf("%s holds the value", f)
		}
	}
	if onDisk := readManifest(t, dest); len(onDisk.LeaksRedacted) != 1 {
		t.Errorf("the manifest on disk records %v", onDisk.LeaksRedacted)
	}
}

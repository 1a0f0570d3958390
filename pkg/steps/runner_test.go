package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
)

// fake is a built-in whose behaviour the test decides.
type fake struct {
	run  func(ctx context.Context, env *builtin.Env, args []string) error
	flag string
}

func (f *fake) Short() string              { return "test built-in" }
func (f *fake) AddFlags(fs *pflag.FlagSet) { fs.StringVar(&f.flag, "flag", "", "") }
func (f *fake) Run(ctx context.Context, env *builtin.Env, args []string) error {
	return f.run(ctx, env, args)
}

func registry(t *testing.T) builtin.Registry {
	mk := func(run func(context.Context, *builtin.Env, []string) error) func() builtin.Builtin {
		return func() builtin.Builtin { return &fake{run: run} }
	}
	return builtin.Registry{
		// write ARG...: one file per argument, holding its name.
		"write": mk(func(_ context.Context, env *builtin.Env, args []string) error {
			for _, a := range args {
				if err := env.Sink.WriteFile(a, []byte(a)); err != nil {
					return err
				}
			}
			return nil
		}),
		// nodes NAME=PATH...: reports how it reached each node.
		"nodes": mk(func(_ context.Context, env *builtin.Env, args []string) error {
			for _, a := range args {
				name, path, _ := strings.Cut(a, "=")
				env.Report.Node(name, path, "")
			}
			return nil
		}),
		"fail": mk(func(context.Context, *builtin.Env, []string) error { return errors.New("it broke") }),
		// half ARG...: writes like write, then fails.
		"half": mk(func(_ context.Context, env *builtin.Env, args []string) error {
			for _, a := range args {
				if err := env.Sink.WriteFile(a, []byte(a)); err != nil {
					return err
				}
			}
			return errors.New("broke halfway")
		}),
		// hang ignores its context entirely.
		"hang":  mk(func(context.Context, *builtin.Env, []string) error { select {} }),
		"panic": mk(func(context.Context, *builtin.Env, []string) error { panic("boom") }),
		// wait returns when its context ends.
		"wait": mk(func(ctx context.Context, _ *builtin.Env, _ []string) error { <-ctx.Done(); return ctx.Err() }),
		// manifest checks the manifest on disk while the step runs.
		"manifest": mk(func(_ context.Context, env *builtin.Env, _ []string) error {
			m := readManifest(t, env.Sink.Root())
			var got []string
			for _, s := range m.Steps {
				got = append(got, s.Name+"="+s.Status)
			}
			want := []string{"10-a:1=ok", "10-a:2=running", "10-a:3=pending"}
			if diff := cmp.Diff(want, got); diff != "" {
				return errors.New("manifest during the step (-want +got):\n" + diff)
			}
			return nil
		}),
	}
}

func readManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	return &m
}

type outcome struct {
	Name   string
	Status string
	Error  string // substring
	Files  int64
}

func outcomes(m *Manifest) []outcome {
	var out []outcome
	for _, s := range m.Steps {
		out = append(out, outcome{Name: s.Name, Status: s.Status, Error: s.Error, Files: s.Files})
	}
	return out
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		lines      string
		timeout    time.Duration
		cancelAt   string // cancel the run (as SIGTERM would) when this step starts
		want       []outcome
		wantStatus string
		wantStop   string
		wantBudget []string
	}{
		{
			name:       "all ok, in order",
			lines:      "write a.txt b.txt\nwrite --flag x c.txt\n",
			want:       []outcome{{"10-a:1", "ok", "", 2}, {"10-a:2", "ok", "", 1}},
			wantStatus: RunOK,
		},
		{
			name:  "failing, unknown and malformed steps do not stop the others",
			lines: "fail\nnope\nbad; line\nwrite --nope x\nwrite after.txt\n",
			want: []outcome{
				{"10-a:1", "failed", "it broke", 0},
				{"10-a:2", "failed", `10-a line 2: unknown built-in "nope" (built-ins: fail, half, hang, manifest, nodes, panic, wait, write)`, 0},
				{"10-a:3", "failed", `10-a line 3: unquoted ";"`, 0},
				{"10-a:4", "failed", "write: unknown flag: --nope", 0},
				{"10-a:5", "ok", "", 1},
			},
			wantStatus: RunPartial,
		},
		{
			name:       "panic",
			lines:      "panic\nwrite after.txt\n",
			want:       []outcome{{"10-a:1", "failed", "panic: boom", 0}, {"10-a:2", "ok", "", 1}},
			wantStatus: RunPartial,
		},
		{
			name:  "hanging step is abandoned after its budget",
			lines: "timeout 200ms hang\ntimeout 200ms wait\nwrite after.txt\n",
			want: []outcome{
				{"10-a:1", "timed-out", "no result within its budget of 200ms: context deadline exceeded; the built-in did not return, abandoned", 0},
				{"10-a:2", "timed-out", "no result within its budget of 200ms: context deadline exceeded", 0},
				{"10-a:3", "ok", "", 1},
			},
			wantStatus: RunPartial,
		},
		{
			name:    "the run's deadline skips what is left",
			lines:   "timeout 1m wait\nwrite never.txt\n",
			timeout: 300 * time.Millisecond,
			want: []outcome{
				// Its own timeout is capped by what is left of the run.
				{"10-a:1", "timed-out", "no result within its budget of 300ms", 0},
				{"10-a:2", "skipped", "the run's deadline (--timeout 300ms) passed", 0},
			},
			wantStatus: RunFailed,
			wantStop:   "the run's deadline (--timeout 300ms) passed",
		},
		{
			name:       "equal shares of what is left",
			lines:      "write a\nwrite b\nwrite c\nwrite d\n",
			timeout:    time.Hour,
			want:       []outcome{{"10-a:1", "ok", "", 1}, {"10-a:2", "ok", "", 1}, {"10-a:3", "ok", "", 1}, {"10-a:4", "ok", "", 1}},
			wantStatus: RunOK,
			wantBudget: []string{"15m0s", "20m0s", "30m0s", "1h0m0s"},
		},
		{
			name:     "interrupt stops the current step and skips the rest",
			lines:    "write a.txt\nwait\nwrite never.txt\n",
			cancelAt: "10-a:2",
			want: []outcome{
				{"10-a:1", "ok", "", 1},
				{"10-a:2", "failed", "interrupted (terminated signal received): context canceled", 0},
				{"10-a:3", "skipped", "interrupted: terminated signal received", 0},
			},
			wantStatus: RunPartial,
			wantStop:   "interrupted: terminated signal received",
		},
		{
			name:       "manifest is rewritten after every step",
			lines:      "write a.txt\nmanifest\nwrite b.txt\n",
			want:       []outcome{{"10-a:1", "ok", "", 1}, {"10-a:2", "ok", "", 0}, {"10-a:3", "ok", "", 1}},
			wantStatus: RunOK,
		},
		{
			name:       "nothing succeeds",
			lines:      "fail\n",
			want:       []outcome{{"10-a:1", "failed", "it broke", 0}},
			wantStatus: RunFailed,
		},
		{
			name:       "no step succeeds, but one wrote data",
			lines:      "fail\nhalf x\n",
			want:       []outcome{{"10-a:1", "failed", "it broke", 0}, {"10-a:2", "failed", "broke halfway", 1}},
			wantStatus: RunPartial,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink, err := output.New(t.TempDir(), output.Options{})
			if err != nil {
				t.Fatal(err)
			}
			steps := parseFile("10-a", tc.lines, Vars{})
			timeout := tc.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			reg := registry(t)
			if tc.cancelAt != "" {
				inner := reg["wait"]
				reg["wait"] = func() builtin.Builtin {
					cancel(errors.New("terminated signal received"))
					return inner()
				}
			}
			m, err := Run(ctx, sink, steps, Options{Registry: reg, Timeout: timeout, KillGrace: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			got := outcomes(m)
			for i := range got {
				if i < len(tc.want) && tc.want[i].Error != "" && strings.Contains(got[i].Error, tc.want[i].Error) {
					got[i].Error = tc.want[i].Error
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if m.Status != tc.wantStatus || m.StopReason != tc.wantStop {
				t.Errorf("run status %q stop %q, want %q stop %q", m.Status, m.StopReason, tc.wantStatus, tc.wantStop)
			}
			// What is on disk is the final manifest.
			if diff := cmp.Diff(outcomes(m), outcomes(readManifest(t, sink.Root()))); diff != "" {
				t.Errorf("manifest on disk differs from the returned one:\n%s", diff)
			}
			if tc.wantBudget != nil {
				var budgets []string
				for _, s := range m.Steps {
					budgets = append(budgets, s.Budget)
				}
				if diff := cmp.Diff(tc.wantBudget, budgets); diff != "" {
					t.Errorf("budgets (-want +got):\n%s", diff)
				}
			}
			if m.End == nil {
				t.Error("manifest has no end time")
			}
		})
	}
}

// What a built-in reports of its nodes lands in its step's record, on disk.
func TestRunRecordsNodes(t *testing.T) {
	t.Parallel()
	sink, err := output.New(t.TempDir(), output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := parseFile("10-a", "nodes b=node-log-proxy a=debug-pod\nwrite x\n", Vars{})
	if _, err := Run(t.Context(), sink, steps, Options{Registry: registry(t), Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, sink.Root())
	want := [][]builtin.NodeReport{
		{{Name: "a", Path: "debug-pod"}, {Name: "b", Path: "node-log-proxy"}},
		nil,
	}
	var got [][]builtin.NodeReport
	for _, s := range m.Steps {
		got = append(got, s.Nodes)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nodes per step (-want +got):\n%s", diff)
	}
}

// Each step records the logs the size limits cut.
func TestRunRecordsCuts(t *testing.T) {
	t.Parallel()
	sink, err := output.New(t.TempDir(), output.Options{MaxLogSize: 95})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	// log NAME...: a container log of 100 lines per argument.
	reg["log"] = func() builtin.Builtin {
		return &fake{run: func(_ context.Context, env *builtin.Env, args []string) error {
			for _, a := range args {
				f, err := env.Sink.CreateLog(a)
				if err != nil {
					return err
				}
				for i := range 100 {
					fmt.Fprintf(f, "line %03d\n", i)
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	steps := parseFile("10-a", "log a.log b.log\nwrite x\n", Vars{})
	if _, err := Run(t.Context(), sink, steps, Options{Registry: reg, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, sink.Root())
	want := [][]output.Cut{
		{{Path: "a.log", OriginalBytes: 900, KeptBytes: 90, Reason: output.CutMaxLogSize}, {Path: "b.log", OriginalBytes: 900, KeptBytes: 90, Reason: output.CutMaxLogSize}},
		nil,
	}
	var got [][]output.Cut
	for _, s := range m.Steps {
		got = append(got, s.Cuts)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cuts per step (-want +got):\n%s", diff)
	}
}

// runFiler is a built-in that offers files of the whole run.
type runFiler struct {
	fake
	write func(env *builtin.Env) error
}

func (r *runFiler) WriteRunFiles(_ context.Context, env *builtin.Env) error { return r.write(env) }

// Built-ins that offer files of the whole run write them once, after the
// last step (so they see every step's data); a failure there is a warning
// in the run log, not a failed run.
func TestRunWritesRunFiles(t *testing.T) {
	t.Parallel()
	sink, store := outputtest.New(output.Options{})
	reg := registry(t)
	calls := 0
	reg["summary"] = func() builtin.Builtin {
		return &runFiler{write: func(env *builtin.Env) error {
			calls++
			if !env.InGatherRun {
				return errors.New("not told it is in a gather run")
			}
			data, err := fs.ReadFile(env.Sink.FS(), "b.txt")
			if err != nil {
				return fmt.Errorf("the last step's file is not there yet: %w", err)
			}
			return env.Sink.WriteFile("summary.txt", append([]byte("saw "), data...))
		}}
	}
	reg["broken"] = func() builtin.Builtin {
		return &runFiler{write: func(*builtin.Env) error { return errors.New("no discovery") }}
	}
	steps := parseFile("10-a", "write a.txt\nwrite b.txt\n", Vars{})
	m, err := Run(t.Context(), sink, steps, Options{Registry: reg, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != RunOK {
		t.Errorf("run status %s, want %s: a run file's failure is a warning", m.Status, RunOK)
	}
	if calls != 1 {
		t.Errorf("WriteRunFiles called %d times, want once", calls)
	}
	if got, _ := store.Read("summary.txt"); string(got) != "saw b.txt" {
		t.Errorf("summary.txt = %q, want %q", got, "saw b.txt")
	}
	if log, _ := store.Read(RunLogFile); !strings.Contains(string(log), "warning: broken: no discovery") {
		t.Errorf("run log lacks the warning:\n%s", log)
	}
}

// The disk guard is checked before each step: a step that filled the disk
// with its last file stops the run before the next one, which is skipped
// with the reason, as the run's stop reason.
func TestRunStopsWhenTheDiskIsFull(t *testing.T) {
	t.Parallel()
	var store *outputtest.Memory
	usage := func(string) (float64, error) {
		if _, ok := store.Read("big"); ok {
			return 95, nil
		}
		return 10, nil
	}
	sink, store := outputtest.New(output.Options{VolumePercentage: 70, Usage: usage})
	m, err := Run(t.Context(), sink, parseFile("10-a", "write big\nwrite never\n", Vars{}), Options{Registry: registry(t), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const full = "destination volume above --volume-percentage: "
	want := []outcome{{"10-a:1", "ok", "", 1}, {"10-a:2", "skipped", full, 0}}
	got := outcomes(m)
	for i := range got {
		if i < len(want) && strings.Contains(got[i].Error, want[i].Error) {
			got[i].Error = want[i].Error
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(m.StopReason, full) {
		t.Errorf("stop reason %q", m.StopReason)
	}
	if _, ok := store.Read("never"); ok {
		t.Error("the step after the disk filled wrote its file")
	}
}

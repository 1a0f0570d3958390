package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/leakscan"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/version"
)

// RunLogFile is the human-readable log of the run in the destination. Not
// gather.logs or must-gather.logs: clients write those next to our output.
const RunLogFile = "gather-run.log"

// Options configure a run.
type Options struct {
	// Registry holds the built-ins step lines may call.
	Registry builtin.Registry
	// Env is the template of every built-in's environment; the runner sets
	// its Sink (counted per step) and Log.
	Env builtin.Env
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Progress receives the progress lines (stderr); the run log gets them
	// too.
	Progress io.Writer
	// Options is recorded in the manifest as it is.
	Options any
	// Warnings found before the run (for example ignored files).
	Warnings []string
	// ProgramEnv is added to the environment of executable steps.
	ProgramEnv []string
	// LeakScan, when set, scans the whole result once the steps and the run
	// files are written (files of executable steps too) and redacts in
	// place the values it finds.
	LeakScan func(ctx context.Context, root string) ([]leakscan.Leak, error)
	// KillGrace is how long an executable step has between SIGTERM and
	// SIGKILL, and how long a built-in has to return once its budget ran out.
	KillGrace time.Duration
}

// Runner runs steps in order and keeps their record.
type Runner struct {
	o     Options
	sink  *output.Sink
	log   io.Writer
	m     *Manifest
	start time.Time
}

// lockedWriter serialises writes from concurrent built-ins and programs.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Run runs the steps and returns the final manifest. It keeps going past
// every failure; the error it returns is only for the manifest itself.
func Run(ctx context.Context, sink *output.Sink, steps []Step, o Options) (*Manifest, error) {
	if o.KillGrace == 0 {
		o.KillGrace = 5 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	runLog, err := sink.AppendMeta(RunLogFile)
	if err != nil {
		return nil, fmt.Errorf("opening the run log: %w", err)
	}
	defer runLog.Close()
	r := &Runner{
		o:     o,
		sink:  sink,
		log:   &lockedWriter{w: io.MultiWriter(o.Progress, runLog)},
		start: time.Now(),
	}
	r.m = &Manifest{Tool: version.Get(), Start: r.start.UTC().Round(time.Millisecond), Status: RunRunning, Options: o.Options, Warnings: o.Warnings}
	for _, s := range steps {
		r.m.Steps = append(r.m.Steps, StepRecord{Name: s.Name(), File: s.Path(), Line: s.Line, Command: s.Text, Status: StatusPending})
	}
	for _, w := range o.Warnings {
		r.logf("warning: %s", w)
	}
	var errs []error
	errs = append(errs, r.save())

	runCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	for i, s := range steps {
		rec := &r.m.Steps[i]
		if reason := r.stopReason(ctx, runCtx); reason != "" {
			if r.m.StopReason == "" {
				r.m.StopReason = reason
				r.logf("stopping: %s", reason)
			}
			rec.Status, rec.Error = StatusSkipped, reason
			continue
		}
		r.runOne(ctx, runCtx, i, len(steps), s, rec)
		errs = append(errs, r.save())
	}
	r.writeRunFiles(ctx)
	r.scanLeaks(ctx)
	if r.m.StopReason == "" {
		if full := sink.Full(); full != nil {
			r.m.StopReason = full.Error()
		}
	}
	end := time.Now().UTC().Round(time.Millisecond)
	r.m.End = &end
	r.m.Status = r.m.runStatus()
	r.logf("finished in %s: %s (%d files, %s)", time.Since(r.start).Round(time.Millisecond), r.m.Status, r.m.Files, output.HumanBytes(r.m.Bytes))
	errs = append(errs, r.save())
	return r.m, errors.Join(errs...)
}

// writeRunFiles lets every built-in that offers it write its files of the
// whole run, once, after the last step. What fails there is a warning: the
// steps' data is written.
func (r *Runner) writeRunFiles(ctx context.Context) {
	for _, name := range r.o.Registry.Names() {
		rf, ok := r.o.Registry[name]().(builtin.RunFiler)
		if !ok {
			continue
		}
		env := r.o.Env
		env.Sink, env.Log, env.InGatherRun = r.sink, r.log, true
		if err := rf.WriteRunFiles(ctx, &env); err != nil {
			r.logf("warning: %s: %v", name, err)
		}
	}
}

// scanLeaks runs the final leak scan. It runs even after an interrupt: a
// value already written must not stay (the scan reads local files only).
func (r *Runner) scanLeaks(ctx context.Context) {
	if r.o.LeakScan == nil || r.sink.Root() == "" { // in memory: no files
		return
	}
	start := time.Now()
	leaks, err := r.o.LeakScan(context.WithoutCancel(ctx), r.sink.Root())
	r.m.LeakScanSeconds = time.Since(start).Round(time.Millisecond).Seconds()
	r.m.LeaksRedacted = leaks
	for _, l := range leaks {
		r.logf("leak scan: %s", l)
	}
	if err != nil {
		r.logf("warning: leak scan: %v", err)
	}
}

// stopReason says why no further step may start, or "".
func (r *Runner) stopReason(ctx, runCtx context.Context) string {
	switch {
	case ctx.Err() != nil:
		return "interrupted: " + context.Cause(ctx).Error()
	case runCtx.Err() != nil:
		return fmt.Sprintf("the run's deadline (--timeout %s) passed", r.o.Timeout)
	case r.sink.Guard() != nil:
		// Checked now: the last step may have filled the disk without
		// creating a file after it did.
		return r.sink.Full().Error()
	}
	return ""
}

func (r *Runner) runOne(ctx, runCtx context.Context, i, n int, s Step, rec *StepRecord) {
	tag := fmt.Sprintf("[step %d/%d] %s", i+1, n, s.Name())
	if s.Err != nil {
		rec.Status, rec.Error = StatusFailed, s.Err.Error()
		r.logf("%s: %s", tag, rec.Error)
		return
	}
	// The default budget is an equal share of what is left; a step's own
	// timeout may ask for more or less, within what is left.
	left := time.Until(deadlineOf(runCtx))
	budget := left / time.Duration(n-i)
	if s.Timeout > 0 {
		budget = min(s.Timeout, left)
	}
	rec.Budget = roundDuration(budget).String()
	start := time.Now()
	st := start.UTC().Round(time.Millisecond)
	rec.Start, rec.Status = &st, StatusRunning
	_ = r.save() // a run killed now shows which step it was in
	r.logf("%s: %s (budget %s)", tag, s.Text, rec.Budget)

	stepCtx, cancel := context.WithTimeout(runCtx, budget)
	defer cancel()
	var counter output.Counter
	var err error
	if s.Program != "" {
		err = r.runProgram(stepCtx, s, &counter, start)
	} else {
		report := &builtin.Report{}
		err = r.runBuiltin(stepCtx, s, &counter, report)
		rec.Nodes = report.Nodes()
	}
	rec.DurationSeconds = time.Since(start).Round(time.Millisecond).Seconds()
	rec.Files, rec.Bytes = counter.Files(), counter.Bytes()
	rec.Cuts = counter.Cuts()
	r.m.Files += rec.Files
	r.m.Bytes += rec.Bytes
	switch {
	case err == nil:
		rec.Status = StatusOK
	case ctx.Err() != nil:
		rec.Status, rec.Error = StatusFailed, fmt.Sprintf("interrupted (%v): %v", context.Cause(ctx), err)
	case errors.Is(stepCtx.Err(), context.DeadlineExceeded):
		rec.Status, rec.Error = StatusTimedOut, fmt.Sprintf("no result within its budget of %s: %v", rec.Budget, err)
	default:
		rec.Status, rec.Error = StatusFailed, err.Error()
	}
	if rec.Error != "" {
		r.logf("%s: %s after %s: %s", tag, rec.Status, time.Since(start).Round(time.Millisecond), rec.Error)
	} else {
		r.logf("%s: ok in %s (%d files, %s)", tag, time.Since(start).Round(time.Millisecond), rec.Files, output.HumanBytes(rec.Bytes))
	}
	if len(rec.Cuts) > 0 {
		r.logf("%s: %d container logs cut or left out for --max-log-size or --max-size (see %s)", tag, len(rec.Cuts), ManifestFile)
	}
}

// roundDuration keeps durations readable: seconds, or milliseconds below
// one second.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

func deadlineOf(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(24 * time.Hour)
	}
	return d
}

func (r *Runner) runBuiltin(ctx context.Context, s Step, counter *output.Counter, report *builtin.Report) error {
	name := s.Args[0]
	newBuiltin, ok := r.o.Registry[name]
	if !ok {
		return fmt.Errorf("%s line %d: unknown built-in %q (built-ins: %s)", s.Path(), s.Line, name, strings.Join(r.o.Registry.Names(), ", "))
	}
	b := newBuiltin()
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b.AddFlags(fs)
	if err := fs.Parse(s.Args[1:]); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	env := r.o.Env
	env.Sink = r.sink.WithCounter(counter)
	env.Log = r.log
	env.InGatherRun = true
	env.Report = report

	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				r.logf("panic in %s: %v\n%s", s.Name(), p, debug.Stack())
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- b.Run(ctx, &env, fs.Args())
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Budget spent or interrupted: give it a moment to return what it
	// has, then leave it behind.
	select {
	case err := <-done:
		if err == nil {
			err = ctx.Err()
		}
		return err
	case <-time.After(r.o.KillGrace):
		return fmt.Errorf("%w; the built-in did not return, abandoned", ctx.Err())
	}
}

// runProgram runs an executable step file in its own process group, so a
// timeout or interrupt reaches everything it started.
func (r *Runner) runProgram(ctx context.Context, s Step, counter *output.Counter, start time.Time) error {
	cmd := exec.Command(s.Program)
	cmd.Dir = r.sink.Root()
	cmd.Env = append(os.Environ(), r.o.ProgramEnv...)
	pw := &prefixWriter{prefix: s.Name() + ": ", w: r.log}
	cmd.Stdout, cmd.Stderr = pw, pw
	newProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		stopProcessGroup(cmd)
		select {
		case <-done:
		case <-time.After(r.o.KillGrace):
			killProcessGroup(cmd)
			<-done
		}
		err = ctx.Err()
	}
	// Whatever is left of its process group goes too.
	killProcessGroup(cmd)
	pw.flush()
	countNewFiles(r.sink.Root(), start, counter)
	// What it wrote leaves that much less of --max-size to later logs.
	r.sink.Charge(counter.Bytes())
	return err
}

// countNewFiles counts the files an external program wrote (it writes
// directly, not through the sink).
func countNewFiles(root string, since time.Time, c *output.Counter) {
	var files, size int64
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if n := d.Name(); n == ManifestFile || n == RunLogFile || strings.HasPrefix(n, ".") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() && !info.ModTime().Before(since) {
			files++
			size += info.Size()
		}
		return nil
	})
	c.Add(files, size)
}

// prefixWriter writes whole lines, each with a prefix.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}

func (r *Runner) logf(format string, args ...any) {
	elapsed := time.Since(r.start).Seconds()
	fmt.Fprintf(r.log, "[%7.1fs] "+format+"\n", append([]any{elapsed}, args...)...)
}

func (r *Runner) save() error {
	b, err := r.m.marshal()
	if err != nil {
		return err
	}
	return r.sink.WriteMeta(ManifestFile, b)
}

func (m *Manifest) runStatus() string {
	ok, notOK := 0, 0
	for _, s := range m.Steps {
		if s.Status == StatusOK {
			ok++
		} else {
			notOK++
		}
	}
	switch {
	case notOK == 0:
		return RunOK
	case ok == 0 && m.Files == 0:
		return RunFailed
	default:
		return RunPartial
	}
}

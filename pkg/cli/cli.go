package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/redact"
)

// IOStreams are the standard streams of a command; tests pass buffers.
// Out carries the command's result (a path, a report), ErrOut progress and
// errors.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Std returns the process's standard streams.
func Std() IOStreams { return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// gcPercent is the garbage collector's target of the commands (see Main).
const gcPercent = 200

// RunFunc runs a command with its arguments (without the program name).
type RunFunc func(ctx context.Context, streams IOStreams, args []string) error

// Main is the body of a binary's main: it runs run with a context that
// SIGINT and SIGTERM cancel, on the process's streams, and returns the exit
// code for os.Exit. A second signal cancels the run's Abort context (a
// command that still has work to finish after the first stops it at
// once); a third one ends the process as the signal would. Everything
// written to stderr goes through the line rules of pkg/redact first: `oc
// adm must-gather` keeps a gather's stderr as gather.logs, beside the
// result.
func Main(run RunFunc, args []string) int {
	if os.Getenv("GOGC") == "" {
		// A gather allocates much and keeps little (pages, objects and
		// log chunks pass through): letting the heap grow to three times
		// what is live before a collection, rather than two, took 13 % of
		// inspect's CPU off for 8 MiB of peak RSS (BENCHMARKS.md). GOGC
		// still overrides.
		debug.SetGCPercent(gcPercent)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	abortCtx, abort := context.WithCancelCause(context.Background())
	defer abort(nil)
	go func() {
		for i := range 2 {
			select {
			case sig := <-sigs:
				err := fmt.Errorf("%v signal received", sig)
				if i == 0 {
					cancel(err)
					continue
				}
				abort(fmt.Errorf("second %w", err))
				signal.Stop(sigs)
			case <-abortCtx.Done():
			}
			return
		}
	}()
	streams := Std()
	errOut := RedactedWriter(streams.ErrOut)
	streams.ErrOut = errOut
	code := Run(WithAbort(ctx, abortCtx), streams, args, run)
	_ = errOut.Close()
	return code
}

type abortKey struct{}

// WithAbort returns ctx carrying abort, the context that a second
// interrupt cancels (see Abort).
func WithAbort(ctx, abort context.Context) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// Abort returns the context that a second interrupt cancels: it outlives
// ctx's own cancellation (the first interrupt), for work that must still
// be done then but not after a second one. Without one (tests, or a
// caller other than Main) it is never cancelled.
func Abort(ctx context.Context) context.Context {
	if a, ok := ctx.Value(abortKey{}).(context.Context); ok {
		return a
	}
	return context.Background()
}

// RedactedWriter returns a writer, safe for concurrent use, that applies
// the line rules of pkg/redact to every line before it reaches w; Close
// writes a last line without its newline (it does not close w).
func RedactedWriter(w io.Writer) io.WriteCloser {
	return &lockedWriteCloser{wc: redact.NewLineWriter(w)}
}

type lockedWriteCloser struct {
	mu sync.Mutex
	wc io.WriteCloser
}

func (l *lockedWriteCloser) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wc.Write(p)
}

func (l *lockedWriteCloser) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wc.Close()
}

// Run runs run and prints its failure as one line on ErrOut. It returns the
// exit code.
func Run(ctx context.Context, streams IOStreams, args []string, run RunFunc) int {
	err := run(ctx, streams, args)
	if err != nil {
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	}
	return ExitCode(err)
}

// Execute runs a cobra command tree: its output goes to streams, errors
// are returned rather than printed (Run prints them once), and a flag the
// command does not know is a usage error.
func Execute(ctx context.Context, cmd *cobra.Command, streams IOStreams, args []string) error {
	cmd.SetArgs(args)
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{Err: err} })
	return cmd.ExecuteContext(ctx)
}

// Exit codes, the same for every binary; documented in the README and in
// each command's --help.
const (
	ExitOK      = 0 // everything succeeded
	ExitFatal   = 1 // nothing could be done (for example no usable cluster access)
	ExitUsage   = 2 // bad flags, arguments or environment
	ExitPartial = 3 // data written, but some of the work failed or timed out
	// ExitFallback: only the client's local fall-back gave data (the
	// must-gather pods could not run).
	ExitFallback = 4
	// ExitFindings: `gather analyze --fail-on` found a finding at least
	// that serious.
	ExitFindings = 5
)

// ExitCodesHelp is the table of exit codes for a command's --help.
const ExitCodesHelp = `Exit codes:
  0  every step succeeded
  1  fatal: nothing could be gathered (for example no usable cluster access)
  2  usage error
  3  partial: data was written, but some steps failed or timed out`

// UsageError marks an error in the command line or the environment that
// configures it (exit code 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// PartialError reports a run that wrote data but in which some work failed
// (exit code 3).
type PartialError struct{ Err error }

func (e PartialError) Error() string { return e.Err.Error() }
func (e PartialError) Unwrap() error { return e.Err }

// FallbackError reports a client run in which only the local fall-back
// gathered data (exit code 4).
type FallbackError struct{ Err error }

func (e FallbackError) Error() string { return e.Err.Error() }
func (e FallbackError) Unwrap() error { return e.Err }

// FindingsError reports findings at or above `analyze --fail-on` (exit
// code 5).
type FindingsError struct{ Err error }

func (e FindingsError) Error() string { return e.Err.Error() }
func (e FindingsError) Unwrap() error { return e.Err }

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var u UsageError
	var p PartialError
	var f FallbackError
	var fi FindingsError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	case errors.As(err, &fi):
		return ExitFindings
	case errors.As(err, &f):
		return ExitFallback
	case errors.As(err, &p):
		return ExitPartial
	default:
		return ExitFatal
	}
}

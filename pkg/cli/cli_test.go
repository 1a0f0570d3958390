package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: ExitOK},
		{name: "plain", err: errors.New("boom"), want: ExitFatal},
		{name: "usage", err: Usagef("bad %s", "flag"), want: ExitUsage},
		{name: "wrapped usage", err: fmt.Errorf("parsing: %w", Usagef("bad")), want: ExitUsage},
		{name: "partial", err: PartialError{Err: errors.New("one step failed")}, want: ExitPartial},
		{name: "joined partial", err: errors.Join(errors.New("x"), PartialError{Err: errors.New("y")}), want: ExitPartial},
		{name: "fallback", err: FallbackError{Err: errors.New("the pod could not run")}, want: ExitFallback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.err); got != tc.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestRunPrintsOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code := Run(context.Background(), streams, []string{"a"}, func(_ context.Context, s IOStreams, args []string) error {
		fmt.Fprintln(s.Out, args[0])
		return Usagef("--since %q is negative", "-1h")
	})
	if code != ExitUsage {
		t.Errorf("exit code %d, want %d", code, ExitUsage)
	}
	if diff := cmp.Diff("a\n", out.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("error: --since \"-1h\" is negative\n", errOut.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

func TestExecuteUnknownFlagIsUsage(t *testing.T) {
	ran := false
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { ran = true; return nil }}
	var out, errOut bytes.Buffer
	err := Execute(context.Background(), cmd, IOStreams{Out: &out, ErrOut: &errOut}, []string{"--nope"})
	if got := ExitCode(err); got != ExitUsage {
		t.Errorf("exit code %d (%v), want %d", got, err, ExitUsage)
	}
	if ran {
		t.Error("the command ran despite the unknown flag")
	}
	if errOut.Len() != 0 {
		t.Errorf("Execute printed %q; Run prints the error once", errOut.String())
	}
}

// Abort is the context a second interrupt cancels: the one WithAbort put
// in, which outlives the run's own cancellation; without one, never.
func TestAbort(t *testing.T) {
	t.Parallel()
	if err := Abort(context.Background()).Err(); err != nil || Abort(context.Background()).Done() != nil {
		t.Errorf("Abort without WithAbort: %v, want a context never cancelled", err)
	}
	abort, cancelAbort := context.WithCancel(context.Background())
	ctx, cancel := context.WithCancel(WithAbort(context.Background(), abort))
	cancel()
	if Abort(ctx).Err() != nil {
		t.Error("the run's cancellation cancelled Abort")
	}
	cancelAbort()
	if Abort(ctx).Err() == nil {
		t.Error("Abort not cancelled by its own cancellation")
	}
}

package builtin

import (
	"context"
	"errors"

	"github.com/must-gather/toolkit/pkg/leakscan"
	"github.com/must-gather/toolkit/pkg/output"
)

// scanParallel is how many files the leak scan of a run alone reads at once.
const scanParallel = 2

// RunAlone runs a collector outside a gather run (a subcommand run by hand,
// the client's local fall-back): into a sink of its own at dir, then, as a
// gather run does after its last step, it scans every file of dir for the
// values the redaction rules elided, redacts what it finds in place and
// logs each on env.Log, and how many logs the size limits of opts cut.
// It sets env.Sink (nil when the destination could not be made); the error
// joins the collector's and the scan's. opts.Recorder is its own.
func RunAlone(ctx context.Context, dir string, opts output.Options, env *Env, run func(context.Context, *Env) error) error {
	scanner := leakscan.New()
	opts.Recorder = scanner
	sink, err := output.New(dir, opts)
	if err != nil {
		return err
	}
	env.Sink = sink
	err = run(ctx, env)
	if cuts := sink.Total().Cuts(); len(cuts) > 0 {
		env.Logf("%d container logs cut or left out for --max-log-size or --max-size", len(cuts))
	}
	leaks, serr := scanner.ScanTree(context.WithoutCancel(ctx), dir, scanParallel)
	for _, l := range leaks {
		env.Logf("leak scan: %s", l)
	}
	return errors.Join(err, serr)
}

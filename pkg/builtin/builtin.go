// Package builtin defines what a built-in command of gather is: the
// interface each collector implements, and the environment the runner (or
// a subcommand run by hand) gives it.
package builtin

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/output"
)

// Builtin is one built-in command: a line of a gather.d step file, and a
// subcommand of gather. A value is used for one run only.
type Builtin interface {
	// Short is the one-line help.
	Short() string
	// AddFlags registers the command's own flags.
	AddFlags(fs *pflag.FlagSet)
	// Run does the work, writing only through env.Sink. It returns the
	// aggregate of what failed; whatever could be gathered is kept.
	Run(ctx context.Context, env *Env, args []string) error
}

// RunFiler is offered by a built-in whose layout has files at the root of
// the destination that belong to the whole run (inspect: the aggregated
// discovery documents and event-filter.html, which reads every event
// gathered). A gather run asks each built-in of its registry that offers
// it once, after the last step; a built-in run alone writes them itself.
type RunFiler interface {
	WriteRunFiles(ctx context.Context, env *Env) error
}

// Env is what a built-in gets to work with.
type Env struct {
	// Sink is the destination; every file goes through it.
	Sink *output.Sink
	// Cluster gives the cluster clients; its error, when there is no
	// usable access, is the same for every built-in of the run.
	Cluster *cluster.Access
	// Since is the start of the since-window (zero: no window).
	Since time.Time
	// Log receives the built-in's progress and warnings (the run log).
	Log io.Writer
	// InGatherRun is true inside a gather run, which writes the shared root
	// files (timestamp, ...) itself; false when a built-in runs alone.
	InGatherRun bool
	// Report goes into the run's manifest (nil when a built-in runs alone).
	Report *Report
	// Pod is the gather's own pod when it runs in one (nil otherwise).
	Pod *Pod
	// DebugImage is the image of debug pods when no flag names one
	// ($MUST_GATHER_IMAGE; empty: the gather's own pod image, else the
	// image this binary belongs to).
	DebugImage string
}

// Pod names the pod a gather runs in.
type Pod struct {
	Namespace, Name string
}

// Logf writes one line to the log.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Log, format+"\n", args...)
}

// Registry maps a built-in's name to a constructor.
type Registry map[string]func() Builtin

// Names lists the registered built-ins in order.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

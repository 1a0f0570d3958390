// Package since is the one since-window of a run: the flags --since and
// --since-time and the variables MUST_GATHER_SINCE and
// MUST_GATHER_SINCE_TIME that `oc adm must-gather` sets, read with one set
// of rules wherever a command takes them.
package since

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/cli"
)

// The variables `oc adm must-gather` sets in the gather container.
const (
	EnvSince     = "MUST_GATHER_SINCE"      // a Go duration, like 2h
	EnvSinceTime = "MUST_GATHER_SINCE_TIME" // an RFC3339 time
)

// Flags are the since flags of a command, named as oc and kubectl name them.
type Flags struct {
	Since     time.Duration
	SinceTime string
}

// AddFlags registers --since and --since-time.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&f.Since, "since", 0, "only gather logs newer than this relative duration, like 5s, 2m or 3h (default: $"+EnvSince+")")
	fs.StringVar(&f.SinceTime, "since-time", "", "only gather logs after this RFC3339 time, like 2026-11-26T15:00:00Z (default: $"+EnvSinceTime+")")
}

// Window is a resolved since-window; the zero Window means no window.
type Window struct {
	// From is the start of the window (zero: none).
	From time.Time
	// Since is the relative form, when the window was given so.
	Since time.Duration
	// SinceTime is the absolute form as given, when the window was given so.
	SinceTime string
}

// Resolve applies the rules: a flag, when given, wins over both variables;
// the two forms cannot be used together; a negative or unparsable value is
// a usage error (exit code 2), whether it came from a flag or a variable.
// getenv may be nil (no variables).
func (f Flags) Resolve(getenv func(string) string, now time.Time) (Window, error) {
	d, dFrom := f.Since, "--since"
	t, tFrom := f.SinceTime, "--since-time"
	if d == 0 && t == "" && getenv != nil {
		dFrom, tFrom = "$"+EnvSince, "$"+EnvSinceTime
		if v := getenv(EnvSince); v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				return Window{}, cli.Usagef("%s=%q is not a duration like 2h", EnvSince, v)
			}
		}
		t = getenv(EnvSinceTime)
	}
	switch {
	case d != 0 && t != "":
		return Window{}, cli.Usagef("%s and %s cannot be used together", dFrom, tFrom)
	case d < 0:
		return Window{}, cli.Usagef("%s %s is negative: give a duration like 2h", dFrom, d)
	case d > 0:
		return Window{From: now.Add(-d), Since: d}, nil
	case t != "":
		from, err := time.Parse(time.RFC3339, t)
		if err != nil {
			return Window{}, cli.Usagef("%s %q is not an RFC3339 time like 2026-11-26T15:00:00Z", tFrom, t)
		}
		return Window{From: from, SinceTime: t}, nil
	}
	return Window{}, nil
}

// Env is the window as the variables a program started by the run gets
// (none without a window).
func (w Window) Env() []string {
	switch {
	case w.Since > 0:
		return []string{EnvSince + "=" + w.Since.String()}
	case w.SinceTime != "":
		return []string{EnvSinceTime + "=" + w.SinceTime}
	}
	return nil
}

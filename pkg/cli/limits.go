package cli

import (
	"errors"

	"github.com/spf13/pflag"
)

// The variables that hand the limits to a gather in an image (the client
// sets them only for the flags it was given; other images may ignore them).
const (
	EnvMaxSize    = "MUST_GATHER_MAX_SIZE"
	EnvMaxLogSize = "MUST_GATHER_MAX_LOG_SIZE"
)

// DefaultMaxLogSize is the default --max-log-size.
const DefaultMaxLogSize = 100 << 20

// Limits are the size limits of a gather: --max-size for the whole result
// (0: none) and --max-log-size for each container log (its tail is kept).
type Limits struct {
	MaxSize    Size
	MaxLogSize Size
	// MaxSizeGiven and MaxLogSizeGiven say the flag was given (Given).
	MaxSizeGiven, MaxLogSizeGiven bool
}

// AddFlags registers --max-size and --max-log-size with their defaults.
func (l *Limits) AddFlags(fs *pflag.FlagSet) {
	l.MaxLogSize = Size{Bytes: DefaultMaxLogSize}
	fs.Var(&l.MaxSize, "max-size", "stop gathering container logs once the result reaches this size, a Kubernetes quantity like 2Gi (0: no limit; $"+EnvMaxSize+" when not given): logs of healthy pods are cut first, object YAML is never dropped")
	fs.Var(&l.MaxLogSize, "max-log-size", "keep only the last this many bytes of each container log, recording the cut (a Kubernetes quantity; 0: no limit; $"+EnvMaxLogSize+" when not given)")
}

// Given records which of the flags fs was given.
func (l *Limits) Given(fs *pflag.FlagSet) {
	l.MaxSizeGiven = fs.Changed("max-size")
	l.MaxLogSizeGiven = fs.Changed("max-log-size")
}

// Resolve takes a limit whose flag was not given from its variable: a flag
// wins over the environment, as with $MUST_GATHER_SINCE.
func (l *Limits) Resolve(getenv func(string) string) error {
	var errs []error
	for _, v := range []struct {
		given bool
		env   string
		size  *Size
	}{
		{l.MaxSizeGiven, EnvMaxSize, &l.MaxSize},
		{l.MaxLogSizeGiven, EnvMaxLogSize, &l.MaxLogSize},
	} {
		if v.given || getenv == nil {
			continue
		}
		if s := getenv(v.env); s != "" {
			if err := v.size.Set(s); err != nil {
				errs = append(errs, Usagef("$%s: %v", v.env, err))
			}
		}
	}
	if len(errs) > 0 {
		return UsageError{Err: errors.Join(errs...)}
	}
	return nil
}

// Env is the variables for the limits given as flags, as NAME=VALUE.
func (l Limits) Env() []string {
	var out []string
	if l.MaxSizeGiven {
		out = append(out, EnvMaxSize+"="+l.MaxSize.String())
	}
	if l.MaxLogSizeGiven {
		out = append(out, EnvMaxLogSize+"="+l.MaxLogSize.String())
	}
	return out
}

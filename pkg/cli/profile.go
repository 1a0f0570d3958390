package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
)

// Profiling is kubectl's --profile and --profile-output: a pprof profile of
// the whole command, for the benchmark and for a user chasing a slow run.
type Profiling struct {
	name, output string
	stop         func() error
}

// profiles are the names --profile accepts, as kubectl has them.
var profiles = []string{"none", "cpu", "heap", "goroutine", "threadcreate", "block", "mutex"}

// AddFlags adds --profile and --profile-output.
func (p *Profiling) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&p.name, "profile", "none", "name of a profile to capture: none, cpu, heap, goroutine, threadcreate, block or mutex")
	fs.StringVar(&p.output, "profile-output", "profile.pprof", "file to write the profile to")
}

// Start starts the profile the flags name; Stop writes it.
func (p *Profiling) Start() error {
	switch p.name {
	case "none":
		return nil
	case "cpu":
		f, err := os.Create(p.output)
		if err != nil {
			return fmt.Errorf("--profile-output: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.Join(fmt.Errorf("starting the CPU profile: %w", err), f.Close())
		}
		p.stop = func() error {
			pprof.StopCPUProfile()
			return f.Close()
		}
		return nil
	case "block":
		runtime.SetBlockProfileRate(1)
	case "mutex":
		runtime.SetMutexProfileFraction(1)
	}
	if pprof.Lookup(p.name) == nil {
		return Usagef("--profile %q: one of %v", p.name, profiles)
	}
	p.stop = func() error {
		f, err := os.Create(p.output)
		if err != nil {
			return fmt.Errorf("--profile-output: %w", err)
		}
		if p.name == "heap" {
			runtime.GC()
		}
		return errors.Join(pprof.Lookup(p.name).WriteTo(f, 0), f.Close())
	}
	return nil
}

// Stop writes the profile; it does nothing when none was started.
func (p *Profiling) Stop() error {
	if p.stop == nil {
		return nil
	}
	stop := p.stop
	p.stop = nil
	return stop()
}

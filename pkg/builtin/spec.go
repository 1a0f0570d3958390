package builtin

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
)

// Spec is a built-in told by its parts: its flags fill a config C, and its
// work runs over that config. Its New is the constructor a Registry holds,
// so a collector writes no command type of its own.
type Spec[C any] struct {
	// Name is the built-in's name, for its messages.
	Name string
	// Short is the one-line help.
	Short string
	// Flags registers the built-in's own flags into cfg.
	Flags func(fs *pflag.FlagSet, cfg *C)
	// NoArgs refuses arguments (flags only).
	NoArgs bool
	// Run does the work with the values of the flags.
	Run func(ctx context.Context, env *Env, cfg C, args []string) error
	// RunFiles, when set, writes the files of the whole run (RunFiler).
	RunFiles func(ctx context.Context, env *Env) error
}

// New returns a fresh built-in of the spec.
func (s Spec[C]) New() Builtin {
	c := &command[C]{spec: s}
	if s.RunFiles != nil {
		return &runFilesCommand[C]{c}
	}
	return c
}

type command[C any] struct {
	spec Spec[C]
	cfg  C
}

func (c *command[C]) Short() string { return c.spec.Short }

func (c *command[C]) AddFlags(fs *pflag.FlagSet) {
	if c.spec.Flags != nil {
		c.spec.Flags(fs, &c.cfg)
	}
}

func (c *command[C]) Run(ctx context.Context, env *Env, args []string) error {
	if c.spec.NoArgs && len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", c.spec.Name, args)
	}
	return c.spec.Run(ctx, env, c.cfg, args)
}

type runFilesCommand[C any] struct{ *command[C] }

func (c *runFilesCommand[C]) WriteRunFiles(ctx context.Context, env *Env) error {
	return c.spec.RunFiles(ctx, env)
}

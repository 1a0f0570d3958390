package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/auditlogs"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/nodelogs"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/podcp"
	"github.com/must-gather/toolkit/pkg/podexec"
	"github.com/must-gather/toolkit/pkg/raw"
	"github.com/must-gather/toolkit/pkg/since"
)

// Builtins are the built-in commands gather.d lines may call; each is also
// a subcommand of gather.
func Builtins() builtin.Registry {
	return builtin.Registry{
		"inspect":    inspect.New,
		"audit-logs": auditlogs.New,
		"node-logs":  nodelogs.New,
		"exec":       podexec.New,
		"raw":        raw.New,
		"cp":         podcp.New,
	}
}

// builtinCommand runs one built-in by hand, outside a gather run: it gets
// its own destination (like `oc adm inspect`, ./<name>.local.<time> by
// default) and writes the root files a gather run would otherwise write.
func builtinCommand(name string, newBuiltin func() builtin.Builtin, streams cli.IOStreams) *cobra.Command {
	b := newBuiltin()
	var (
		destDir string
		sf      since.Flags
		volume  int
		flags   cluster.Flags
		limits  cli.Limits
	)
	cmd := &cobra.Command{
		Use:   name,
		Short: b.Short(),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := sf.Resolve(os.Getenv, time.Now())
			if err != nil {
				return err
			}
			limits.Given(cmd.Flags())
			if err := limits.Resolve(os.Getenv); err != nil {
				return err
			}
			if destDir == "" {
				destDir = fmt.Sprintf("%s.local.%s", name, time.Now().UTC().Format("20060102-150405"))
			}
			env := processEnv(os.Getenv)
			env.Cluster, env.Since, env.Log = cluster.NewAccess(flags.RESTConfig), w.From, streams.ErrOut
			err = builtin.RunAlone(cmd.Context(), destDir, output.Options{VolumePercentage: volume, MaxSize: limits.MaxSize.Bytes, MaxLogSize: limits.MaxLogSize.Bytes}, &env, func(ctx context.Context, env *builtin.Env) error {
				return b.Run(ctx, env, args)
			})
			if err != nil && env.Sink == nil {
				return err
			}
			if err != nil {
				return cli.PartialError{Err: err}
			}
			fmt.Fprintln(streams.Out, destDir)
			return nil
		},
	}
	fs := cmd.Flags()
	b.AddFlags(fs)
	if fs.Lookup("dest-dir") == nil {
		fs.StringVar(&destDir, "dest-dir", "", "directory to write into (default ./"+name+".local.<time>)")
	}
	sf.AddFlags(fs)
	limits.AddFlags(fs)
	fs.IntVar(&volume, "volume-percentage", 70, "stop writing once the destination's filesystem is used above this percentage")
	flags.AddFlags(fs)
	return cmd
}

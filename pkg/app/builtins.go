package app

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/auditlogs"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/nodelogs"
	"github.com/must-gather/toolkit/pkg/output"
)

// Builtins are the built-in commands gather.d lines may call; each is also
// a subcommand of gather.
func Builtins() builtin.Registry {
	return builtin.Registry{
		"inspect":    inspect.New,
		"audit-logs": auditlogs.New,
		"node-logs":  nodelogs.New,
	}
}

// builtinCommand runs one built-in by hand, outside a gather run: it gets
// its own destination (like `oc adm inspect`, ./<name>.local.<time> by
// default) and writes the root files a gather run would otherwise write.
func builtinCommand(name string, newBuiltin func() builtin.Builtin, streams IOStreams) *cobra.Command {
	b := newBuiltin()
	var (
		destDir   string
		since     time.Duration
		sinceTime string
		volume    int
		flags     cluster.Flags
	)
	cmd := &cobra.Command{
		Use:   name,
		Short: b.Short(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != 0 && sinceTime != "" {
				return usageErrorf("--since and --since-time cannot be used together")
			}
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			} else if sinceTime != "" {
				t, err := time.Parse(time.RFC3339, sinceTime)
				if err != nil {
					return usageErrorf("--since-time %q is not an RFC3339 time", sinceTime)
				}
				from = t
			}
			if destDir == "" {
				destDir = fmt.Sprintf("%s.local.%s", name, time.Now().UTC().Format("20060102-150405"))
			}
			sink, err := output.New(destDir, output.Options{VolumePercentage: volume})
			if err != nil {
				return err
			}
			env := &builtin.Env{Sink: sink, Cluster: cluster.NewAccess(flags.RESTConfig), Since: from, Log: streams.ErrOut}
			if err := b.Run(cmd.Context(), env, args); err != nil {
				return PartialError{err}
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
	fs.DurationVar(&since, "since", 0, "only gather logs newer than this relative duration")
	fs.StringVar(&sinceTime, "since-time", "", "only gather logs after this RFC3339 time")
	fs.IntVar(&volume, "volume-percentage", 70, "stop writing once the destination's filesystem is used above this percentage")
	flags.AddFlags(fs)
	return cmd
}

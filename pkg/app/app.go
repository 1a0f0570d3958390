package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/version"
)

// Args maps the program's name to its arguments: the same binary installed
// as /usr/bin/gather_audit_logs gathers audit logs alone into /must-gather,
// as users of `oc adm must-gather -- /usr/bin/gather_audit_logs` expect.
func Args(argv0 string, args []string) []string {
	if filepath.Base(argv0) == "gather_audit_logs" {
		return append([]string{"audit-logs", "--dest-dir", "/must-gather"}, args...)
	}
	return args
}

// Main runs gather and prints a failure as one line on ErrOut. It returns
// the process exit code.
func Main(ctx context.Context, streams cli.IOStreams, args []string) int {
	return cli.Run(ctx, streams, args, Run)
}

// Run runs gather with args (without the program name).
func Run(ctx context.Context, streams cli.IOStreams, args []string) error {
	var prof cli.Profiling
	cmd := newRootCommand(streams)
	prof.AddFlags(cmd.PersistentFlags())
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error { return prof.Start() }
	err := cli.Execute(ctx, cmd, streams, args)
	return errors.Join(err, prof.Stop())
}

func newRootCommand(streams cli.IOStreams) *cobra.Command {
	o := newGatherOptions(streams)
	cmd := &cobra.Command{
		Use:   "gather",
		Short: "Gather debugging data from a Kubernetes or OpenShift cluster",
		Long: `gather collects everything needed to debug a cluster into --dest-dir.

With no arguments it does the default gathering: it writes the version file
first, then runs the steps of the gather.d folder in lexical order, keeping
going when one fails, and records every step in gather-manifest.json.

The gather.d folder is --gather-dir, else $GATHER_DIR (either may name
several folders separated by ":", run in that order), else
` + InstalledGatherDir + ` when it exists, else the copy built into this
binary. The version file names this build, or the product that
$MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION name.

` + cli.ExitCodesHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			o.limits.Given(cmd.Flags())
			if err := o.complete(); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	o.addFlags(cmd.Flags())
	o.cluster.AddFlags(cmd.Flags())
	cmd.AddCommand(newVersionCommand(streams), newNodeAgentCommand(streams), newAnalyzeCommand(streams))
	cmd.AddCommand(newCleanCommand(streams), newServeCommand(streams))
	for _, name := range o.registry.Names() {
		cmd.AddCommand(builtinCommand(name, o.registry[name], streams))
	}
	return cmd
}

func newVersionCommand(streams cli.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the product name and version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			i := version.Get()
			_, err := fmt.Fprintf(streams.Out, "%s %s (commit %s)\n", i.Product, i.Version, i.GitCommit)
			return err
		},
	}
}

package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/version"
)

// IOStreams are the standard streams of a command; tests pass buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Main runs the command and prints a failure as one line on ErrOut. It
// returns the process exit code.
func Main(ctx context.Context, streams IOStreams, args []string) int {
	err := Run(ctx, streams, args)
	if err != nil {
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	}
	return ExitCode(err)
}

// Run runs gather with args (without the program name).
func Run(ctx context.Context, streams IOStreams, args []string) error {
	cmd := newRootCommand(streams)
	cmd.SetArgs(args)
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd.ExecuteContext(ctx)
}

const exitCodesHelp = `Exit codes:
  0  every step succeeded
  1  fatal: nothing could be gathered (for example no usable cluster access)
  2  usage error
  3  partial: data was written, but some steps failed or timed out`

// rootOptions are the options of the default gathering.
type rootOptions struct {
	destDir string
	cluster cluster.Flags
	streams IOStreams
}

func newRootCommand(streams IOStreams) *cobra.Command {
	o := &rootOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "gather",
		Short: "Gather debugging data from a Kubernetes or OpenShift cluster",
		Long: `gather collects everything needed to debug a cluster into --dest-dir.
With no arguments it does the default gathering: it writes the version file,
then gathers from the cluster of the in-cluster config or the kubeconfig.

` + exitCodesHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.destDir, "dest-dir", "/must-gather", "directory to write the gathered data into")
	o.cluster.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(newVersionCommand(streams))
	return cmd
}

func (o *rootOptions) validate() error {
	if o.destDir == "" {
		return usageErrorf("--dest-dir must not be empty")
	}
	return nil
}

func (o *rootOptions) run(ctx context.Context) error {
	start := time.Now()
	if err := os.MkdirAll(o.destDir, 0o750); err != nil {
		return fmt.Errorf("creating destination: %w", err)
	}
	if err := writeVersionFile(filepath.Join(o.destDir, "version")); err != nil {
		return err
	}
	cfg, err := o.cluster.RESTConfig()
	if err != nil {
		return err
	}
	info, err := cluster.ServerVersion(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "gathering from %s (Kubernetes %s)\n", cfg.Host, info.GitVersion)
	fmt.Fprintf(o.streams.ErrOut, "done in %s; result in %s\n", time.Since(start).Round(time.Millisecond), o.destDir)
	fmt.Fprintln(o.streams.Out, o.destDir)
	return nil
}

// writeVersionFile writes the version file atomically (temporary file, then
// rename), so a reader never sees half of it.
func writeVersionFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".version-*")
	if err != nil {
		return fmt.Errorf("writing version file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := version.Get().WriteVersionFile(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing version file: %w", err)
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return fmt.Errorf("writing version file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing version file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing version file: %w", err)
	}
	return nil
}

func newVersionCommand(streams IOStreams) *cobra.Command {
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

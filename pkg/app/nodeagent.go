package app

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/nodeagent"
)

// newNodeAgentCommand is the node side of the node collectors, run inside a
// privileged debug pod (the host's root at --root); not for people.
func newNodeAgentCommand(streams IOStreams) *cobra.Command {
	var root, sinceTime string
	cmd := &cobra.Command{
		Use:    "node-agent",
		Short:  "The node side of the node collectors (runs in a debug pod)",
		Hidden: true,
	}
	cmd.PersistentFlags().StringVar(&root, "root", "/host", "where the host's root is mounted")
	cmd.PersistentFlags().StringVar(&sinceTime, "since-time", "", "start of the since-window (RFC3339)")
	since := func() (time.Time, error) {
		if sinceTime == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, sinceTime)
		if err != nil {
			return t, usageErrorf("--since-time %q is not RFC3339", sinceTime)
		}
		return t, nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "wait",
		Short: "Wait for SIGTERM (the debug pod's main process)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
			<-ch
			return nil
		},
	}, &cobra.Command{
		Use:   "files DIR...",
		Short: "Write a tar stream of the files of DIRs (below --root) to stdout",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, dirs []string) error {
			s, err := since()
			if err != nil {
				return err
			}
			return nodeagent.WriteFiles(streams.Out, root, dirs, s)
		},
	}, &cobra.Command{
		Use:   "service-log UNIT",
		Short: "Write a host service's log (journal, else /var/log/UNIT.log) to stdout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := since()
			if err != nil {
				return err
			}
			src, err := nodeagent.ServiceLog(cmd.Context(), streams.Out, root, args[0], s)
			fmt.Fprintf(streams.ErrOut, "source: %s\n", src)
			return err
		},
	})
	return cmd
}

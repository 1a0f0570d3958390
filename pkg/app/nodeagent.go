package app

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/nodeagent"
	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/since"
)

// newNodeAgentCommand is the node side of the node collectors, run inside a
// privileged debug pod (the host's root at --root); not for people.
func newNodeAgentCommand(streams cli.IOStreams) *cobra.Command {
	var (
		root        string
		sf          since.Flags
		redactRules string
	)
	cmd := &cobra.Command{
		Use:    "node-agent",
		Short:  "The node side of the node collectors (runs in a debug pod)",
		Hidden: true,
	}
	cmd.PersistentFlags().StringVar(&root, "root", "/host", "where the host's root is mounted")
	sf.AddFlags(cmd.PersistentFlags())
	// The gather hands the agent its resolved window as --since-time; the
	// pod's own variables are not the gather's.
	window := func() (time.Time, error) {
		w, err := sf.Resolve(nil, time.Now())
		return w.From, err
	}
	files := &cobra.Command{
		Use:   "files DIR...",
		Short: "Write a tar stream of the files of DIRs (below --root) to stdout, redacted",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, dirs []string) error {
			if redactRules != "audit" {
				return fmt.Errorf("--redact %q: only audit", redactRules)
			}
			s, err := window()
			if err != nil {
				return err
			}
			return nodeagent.WriteFiles(streams.Out, root, dirs, s)
		},
	}
	// The gather asks for the rules it expects: an agent of an older image,
	// which would send files as they are, refuses the flag instead.
	files.Flags().StringVar(&redactRules, "redact", "audit", "the redaction rules applied to the files sent (audit: audit events, and the line rules on other lines)")
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
		Use:   "stop PID",
		Short: "Send SIGTERM to process PID (the client stops a gather this way before copying its result)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			pid, err := strconv.Atoi(args[0])
			if err != nil || pid < 1 {
				return cli.Usagef("PID %q is not a process ID", args[0])
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				return fmt.Errorf("stopping process %d: %w", pid, err)
			}
			return nil
		},
	}, files, &cobra.Command{
		Use:   "tar DIR",
		Short: "Write a tar stream of DIR to stdout (as tar cf - -C DIR . does; for an image without tar)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return pods.WriteTar(cmd.Context(), streams.Out, args[0])
		},
	}, &cobra.Command{
		Use:   "service-log UNIT",
		Short: "Write a host service's log (journal, else /var/log/UNIT.log) to stdout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := window()
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

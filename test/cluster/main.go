// Command testcluster runs a real one-node Kubernetes cluster on this
// machine for the project's tests: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler in one process (tier 1), and
// optionally a kubelet with a private containerd, runc and a CNI bridge in a
// network namespace of its own (tier 2). See the README for how to use it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "testcluster:", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "testcluster",
		Short:         "Run the project's local test cluster",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(upCommand(), downCommand(), statusCommand(), loadImageCommand(), imageArchiveCommand(),
		controlPlaneCommand(), kubeletCommand(), stopKubeletCommand(), startKubeletCommand())
	return root
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func upCommand() *cobra.Command {
	cfg := defaultConfig()
	var node bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the cluster (control plane; with --node also a real node) and write its kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Complete(); err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			return up(ctx, &cfg, node, cmd.ErrOrStderr())
		},
	}
	cfg.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&node, "node", os.Getenv("CLUSTER_NODE") == "1", "also start the node tier: kubelet, containerd, runc, CNI ($CLUSTER_NODE=1)")
	return cmd
}

// runningConfig returns the configuration the cluster in dir was started
// with.
func runningConfig(dir string) (*Config, error) {
	cfg := defaultConfig()
	cfg.Dir = dir
	if err := cfg.Complete(); err != nil {
		return nil, err
	}
	c, err := loadRunning(cfg.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no test cluster was started from %s", cfg.Dir)
	}
	return c, err
}

func dirFlag(cmd *cobra.Command, dir *string) {
	*dir = defaultConfig().Dir
	if v := os.Getenv("TESTCLUSTER_DIR"); v != "" {
		*dir = v
	}
	cmd.Flags().StringVar(dir, "dir", *dir, "state directory of the cluster ($TESTCLUSTER_DIR)")
}

func downCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster and remove everything it left on the host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := runningConfig(dir)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%v: nothing to stop\n", err)
				return nil
			}
			if len(c.running()) == 0 && len(residue(c)) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "the test cluster in %s is not running: nothing to stop\n", c.Dir)
				return nil
			}
			return down(context.Background(), c, cmd.ErrOrStderr())
		},
	}
	dirFlag(cmd, &dir)
	return cmd
}

func statusCommand() *cobra.Command {
	var dir string
	var checkClean bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say whether the cluster runs (--check-clean: fail if a stopped cluster left anything behind)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := runningConfig(dir)
			if err != nil {
				if checkClean {
					return nil
				}
				return err
			}
			if checkClean {
				if r := residue(c); len(r) > 0 {
					return fmt.Errorf("left behind:\n  %v", r)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "clean")
				return nil
			}
			r := c.running()
			if len(r) == 0 {
				return fmt.Errorf("not running")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "running: %v\nkubeconfig: %s\n", r, c.Kubeconfig())
			return nil
		},
	}
	dirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&checkClean, "check-clean", false, "check that nothing of a stopped cluster remains")
	return cmd
}

func loadImageCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "load-image ARCHIVE",
		Short: "Import an OCI or docker archive into the node's containerd",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := runningConfig(dir)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			return c.loadImage(ctx, args[0])
		},
	}
	dirFlag(cmd, &dir)
	return cmd
}

func imageArchiveCommand() *cobra.Command {
	var binary, entry, ref, out string
	cmd := &cobra.Command{
		Use:   "image-archive",
		Short: "Write a docker archive of an image holding one static binary as its entrypoint",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return writeImageArchive(binary, entry, ref, out)
		},
	}
	cmd.Flags().StringVar(&binary, "binary", "", "static binary to put into the image")
	cmd.Flags().StringVar(&entry, "entry", "testimage", "its path in the image (no leading /), also the entrypoint")
	cmd.Flags().StringVar(&ref, "tag", TestImage, "image reference")
	cmd.Flags().StringVar(&out, "output", "", "archive to write")
	_ = cmd.MarkFlagRequired("binary")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func stopKubeletCommand() *cobra.Command {
	var dir string
	var unreachable bool
	cmd := &cobra.Command{
		Use:   "stop-kubelet [--unreachable]",
		Short: "Stop the node's kubelet (its pods keep running) and wait until the node is NotReady; --unreachable also drops what is sent to its port",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, cs, err := runningNode(dir)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			start := time.Now()
			if err := c.stopKubelet(ctx, cs, unreachable); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "kubelet stopped; node %s NotReady after %s\n", c.NodeName, time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	dirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&unreachable, "unreachable", false, "also drop what is sent to the kubelet's port (a powered-off node: calls time out instead of being refused)")
	return cmd
}

func startKubeletCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "start-kubelet",
		Short: "Start the node's kubelet again and wait until the node is Ready and schedulable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, cs, err := runningNode(dir)
			if err != nil {
				return err
			}
			if alive(readPid(c.PidFile("kubelet"))) {
				return fmt.Errorf("the kubelet of %s is running already", c.NodeName)
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			start := time.Now()
			if err := c.startKubelet(ctx, cs, self); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "kubelet started; node %s Ready after %s\n", c.NodeName, time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	dirFlag(cmd, &dir)
	return cmd
}

// runningNode returns the configuration of a running cluster with a node,
// and a client.
func runningNode(dir string) (*Config, *kubernetes.Clientset, error) {
	c, err := runningConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	if !c.Node {
		return nil, nil, fmt.Errorf("the test cluster in %s has no node (start it with --node)", c.Dir)
	}
	if !alive(readPid(c.PidFile("controlplane"))) {
		return nil, nil, fmt.Errorf("the test cluster in %s is not running", c.Dir)
	}
	cs, err := c.client()
	return c, cs, err
}

func controlPlaneCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "controlplane",
		Short:  "Run the control plane in the foreground (started by up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := loadRunning(dir)
			if err != nil {
				return err
			}
			return runControlPlane(c)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "state directory")
	return cmd
}

func kubeletCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "kubelet [kubelet flags]",
		Short:              "Run the kubelet in the foreground (started by up, inside the node's network namespace)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			return runKubelet(args)
		},
	}
}

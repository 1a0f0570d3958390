package mustgather

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/since"
	"github.com/must-gather/toolkit/pkg/version"
)

// Defaults, as `oc adm must-gather` has them.
const (
	DefaultTimeout          = 10 * time.Minute
	DefaultSourceDir        = "/must-gather/"
	DefaultVolumePercentage = 70
	DefaultCommand          = "/usr/bin/gather"
	// DefaultMaxPartSize is the largest archive file: the upload limit of
	// many support case systems.
	DefaultMaxPartSize = 1 << 30
)

// Options are the client's flags and what Complete derives from them.
type Options struct {
	Images           []string
	DestDir          string
	Timeout          time.Duration
	Since            since.Flags
	SourceDir        string
	Keep             bool
	VolumePercentage int
	NodeName         string
	RunNamespace     string
	// ClusterRole, when set, is the cluster role the gather pods are bound
	// to, for every image (--cluster-role).
	ClusterRole string
	// AllImages also runs the must-gather image of every ClusterOperator
	// and ClusterServiceVersion that names one (oc's --all-images).
	AllImages bool
	// HostNetwork runs the gather pods on the host's network.
	HostNetwork bool
	// NodeSelector runs one pod per image on every node it selects.
	NodeSelector string
	// Archive writes <dest>.tar.gz (or its parts) beside DestDir at the
	// end (--archive).
	Archive bool
	// MaxPartSize splits a larger archive into parts of at most this many
	// bytes (--max-part-size).
	MaxPartSize cli.Size
	// Limits are --max-size and --max-log-size: handed to the gather pods
	// as $MUST_GATHER_MAX_SIZE and $MUST_GATHER_MAX_LOG_SIZE when given
	// (other images may ignore them), and applied to the local fall-back.
	Limits cli.Limits
	// Verbosity is the -v level of client-go's logs (klog).
	Verbosity int
	Cluster   cluster.Flags
	// Command runs in each image's gather container (after -- on the
	// command line).
	Command []string

	// OwnImage is the image this build belongs to (version.Get().Image):
	// the default, and the image known to carry the gather binary.
	OwnImage string

	// Set by Complete.
	window      since.Window
	imagesGiven bool // --image was given
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Run runs the client with args (without the program name).
func Run(ctx context.Context, streams cli.IOStreams, args []string) error {
	return cli.Execute(ctx, NewCommand(streams), streams, args)
}

// NewCommand returns the client's command.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "kubectl-must_gather [flags] [-- COMMAND [ARGS...]]",
		Short: "Run must-gather images in the cluster and copy their result back",
		Long: `kubectl-must_gather runs one pod per --image in a temporary namespace,
streams each gather's log, copies its --source-dir back into
--dest-dir/<image>/ and deletes the namespace (unless --keep).

It is a kubectl plugin by its name: kubectl must-gather [flags].
Flags are named as oc adm must-gather names them. --volume-percentage
defaults to 70, oc's current default.

Exit codes:
  0  every image gathered
  1  nothing was gathered
  2  usage error
  3  partial: data was copied, but a gather failed, timed out or was interrupted,
     or its log could not be read
  4  no pod could run: only the local fall-back (inspect.local.*) gathered data`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 && len(args) > 0 || dash > 0 {
				return cli.Usagef("unexpected argument %q: a command goes after --", args[0])
			}
			if dash == 0 {
				o.Command = args
			}
			o.Limits.Given(cmd.Flags())
			o.Complete()
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context(), streams)
		},
	}
	o.AddFlags(cmd.Flags())
	o.Cluster.AddFlags(cmd.Flags())
	return cmd
}

// AddFlags registers the client's own flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.Images, "image", nil, "a must-gather image to run; repeat for several (default: this build's image, "+orNone(version.Get().Image)+")")
	fs.StringVar(&o.DestDir, "dest-dir", "", "where to write the result (default: must-gather.local.<random> in the current directory)")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "bound on the whole run: start, gather, log streaming and copy")
	o.Since.AddFlags(fs)
	// The gather pods get the window as oc's variables; the client's own
	// environment does not set it.
	fs.Lookup("since").Usage = "only gather logs newer than this relative duration, like 5s, 2m or 3h"
	fs.Lookup("since-time").Usage = "only gather logs after this RFC3339 time, like 2026-11-26T15:00:00Z"
	fs.StringVar(&o.SourceDir, "source-dir", DefaultSourceDir, "the directory in the gather pod that is copied back")
	fs.BoolVar(&o.Keep, "keep", false, "keep the namespace, its pods and the binding afterwards (for debugging)")
	fs.IntVar(&o.VolumePercentage, "volume-percentage", DefaultVolumePercentage, "stop writing once the pod's volume is used above this percentage (70: oc's current default; our gather guards itself, other images run under a guard script)")
	fs.StringVar(&o.NodeName, "node-name", "", "run the gather pods on this node")
	fs.StringVar(&o.RunNamespace, "run-namespace", "", "an existing namespace (privileged) to run the gather pods in, instead of a temporary one; only what this run made there is deleted")
	fs.BoolVar(&o.AllImages, "all-images", false, "also run the must-gather image of every ClusterOperator and ClusterServiceVersion annotated with "+MustGatherImageAnnotation+" (OpenShift, or a cluster with OLM); bound to cluster-admin")
	fs.BoolVar(&o.HostNetwork, "host-network", false, "run the gather pods on the host's network (the gather container also gets CAP_NET_RAW, for packet captures)")
	fs.StringVar(&o.NodeSelector, "node-selector", "", "run one pod per image on every node this label selector selects (results in <dest>/<node>/<image>/)")
	fs.BoolVar(&o.Archive, "archive", true, "write the result also as <dest-dir>.tar.gz beside it (parallel gzip)")
	o.MaxPartSize = cli.Size{Bytes: DefaultMaxPartSize}
	fs.Var(&o.MaxPartSize, "max-part-size", "an archive larger than this is written as numbered parts, <dest-dir>.part-001.tar.gz, ..., each a complete .tar.gz that opens on its own (a Kubernetes quantity)")
	o.Limits.AddFlags(fs)
	fs.Lookup("max-size").Usage = "our image stops gathering container logs once its result reaches this size (a Kubernetes quantity like 2Gi; 0: no limit): logs of healthy pods are cut first, object YAML is never dropped; handed to every image as $" + cli.EnvMaxSize + " when given"
	fs.Lookup("max-log-size").Usage = "our image keeps only the last this many bytes of each container log, recording the cut (a Kubernetes quantity); handed to every image as $" + cli.EnvMaxLogSize + " when given"
	fs.IntVarP(&o.Verbosity, "v", "v", 0, "log level of the Kubernetes client (klog), as kubectl's -v; above "+strconv.Itoa(maxVerbosity)+" it would log response bodies (Secret values), so "+strconv.Itoa(maxVerbosity)+" is used")
	fs.StringVar(&o.ClusterRole, "cluster-role", "", "bind the gather pods to this cluster role, for every image (default: this build's own image gets the least-privilege roles "+ReadRole+" and "+DebugPodsRole+", any other image cluster-admin, as oc binds it)")
}

func orNone(s string) string {
	if s == "" {
		return "none in this build"
	}
	return s
}

// Complete fills what was not given with defaults; it never overwrites
// what a caller set.
func (o *Options) Complete() {
	if o.OwnImage == "" {
		o.OwnImage = version.Get().Image
	}
	if len(o.Images) > 0 {
		o.imagesGiven = true
	}
	if len(o.Images) == 0 && o.OwnImage != "" {
		o.Images = []string{o.OwnImage}
	}
	if o.DestDir == "" {
		o.DestDir = "must-gather.local." + randomDigits()
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.SourceDir == "" {
		o.SourceDir = DefaultSourceDir
	}
	if o.VolumePercentage == 0 {
		o.VolumePercentage = DefaultVolumePercentage
	}
	if len(o.Command) == 0 {
		o.Command = []string{DefaultCommand}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// randomDigits is a random decimal number, as oc names its default
// destination.
func randomDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return fmt.Sprint(time.Now().UnixNano())
	}
	return n.String()
}

// Validate reports every usage error at once.
func (o *Options) Validate() error {
	var errs []error
	if len(o.Images) == 0 {
		errs = append(errs, cli.Usagef("no --image given and this build carries no default image"))
	}
	for _, img := range o.Images {
		if strings.TrimSpace(img) == "" {
			errs = append(errs, cli.Usagef("--image is empty"))
		}
	}
	if o.Timeout < 0 {
		errs = append(errs, cli.Usagef("--timeout %s is negative", o.Timeout))
	}
	if !path.IsAbs(o.SourceDir) {
		errs = append(errs, cli.Usagef("--source-dir %q is not an absolute path", o.SourceDir))
	}
	if o.AllImages {
		// As oc: these choose images, or where one pod runs.
		for _, f := range []struct {
			name string
			set  bool
		}{{"--image", o.imagesGiven}, {"--host-network", o.HostNetwork}, {"--node-name", o.NodeName != ""}, {"--run-namespace", o.RunNamespace != ""}} {
			if f.set {
				errs = append(errs, cli.Usagef("%s and --all-images are mutually exclusive", f.name))
			}
		}
	}
	if o.NodeName != "" && o.NodeSelector != "" {
		errs = append(errs, cli.Usagef("--node-name and --node-selector are mutually exclusive"))
	}
	if _, err := labels.Parse(o.NodeSelector); err != nil {
		errs = append(errs, cli.Usagef("--node-selector %q: %w", o.NodeSelector, err))
	}
	if o.Archive && o.MaxPartSize.Bytes < bundle.MinPartSize {
		errs = append(errs, cli.Usagef("--max-part-size %s is below the least, %d bytes", o.MaxPartSize.String(), bundle.MinPartSize))
	}
	if o.Verbosity < 0 {
		errs = append(errs, cli.Usagef("-v %d is negative", o.Verbosity))
	}
	if o.VolumePercentage < 1 || o.VolumePercentage > 100 {
		errs = append(errs, cli.Usagef("--volume-percentage must be between 1 and 100"))
	}
	// The client's own environment is not the gather's: flags only.
	w, err := o.Since.Resolve(nil, o.Now())
	if err != nil {
		errs = append(errs, err)
	}
	o.window = w
	return errors.Join(errs...)
}

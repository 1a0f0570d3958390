package nodes

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DefaultNodeBudget bounds the work on one node.
const DefaultNodeBudget = 5 * time.Minute

// Reaching is how a node collector reaches nodes: which ones, and through
// debug pods with the node log proxy as the fall-back.
type Reaching struct {
	Selection Selection
	// Image of the debug pods (default: the gather's own, see Reach).
	Image string
	// NoDebugPods reads through the node log proxy only.
	NoDebugPods bool
	// NodeBudget bounds the work on one node (and a debug pod's life).
	NodeBudget time.Duration
}

// AddFlags registers the flags every node collector has.
func (r *Reaching) AddFlags(fs *pflag.FlagSet) {
	r.Selection.AddFlags(fs)
	fs.StringVar(&r.Image, "image", os.Getenv("MUST_GATHER_IMAGE"), "image of the debug pods (default: the gather's own pod image, else the image this binary belongs to; $MUST_GATHER_IMAGE)")
	fs.BoolVar(&r.NoDebugPods, "no-debug-pods", false, "read only through the node log proxy")
	fs.DurationVar(&r.NodeBudget, "node-timeout", DefaultNodeBudget, "time budget of each node")
}

// Start prepares the debug pods of a run. It returns nil pods (having
// logged why) when they are disabled or cannot be had: the collector then
// uses the node log proxy for every node. cleanup is always safe to call.
func (r *Reaching) Start(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, logf func(string, ...any)) (*DebugPods, func()) {
	if r.NodeBudget <= 0 {
		r.NodeBudget = DefaultNodeBudget
	}
	if r.NoDebugPods {
		return nil, func() {}
	}
	pods, cleanup, err := Reach(ctx, cfg, cs, r.Image, r.NodeBudget)
	if err != nil {
		logf("no debug pods (%v): reading through the node log proxy", err)
		return nil, cleanup
	}
	return pods, cleanup
}

// Try does fn in a debug pod on node within the node's budget. done is
// false when the caller must fall back to the node log proxy: there are no
// debug pods (nil receiver) or none could run on this node (logged).
// Otherwise err is fn's outcome.
func (d *DebugPods) Try(ctx context.Context, node string, logf func(string, ...any), fn func(context.Context, Exec) error) (done bool, err error) {
	if d == nil {
		return false, nil
	}
	nctx, cancel := context.WithTimeout(ctx, d.Budget)
	defer cancel()
	err = d.On(nctx, node, func(exec Exec) error { return fn(nctx, exec) })
	switch {
	case err == nil:
		logf("%s: read through a debug pod", node)
		return true, nil
	case errors.Is(err, ErrCannotRun):
		logf("%s: falling back to the node log proxy: %v", node, err)
		return false, nil
	default:
		return true, err
	}
}

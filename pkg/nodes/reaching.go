package nodes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/tempns"
)

// DefaultNodeBudget bounds the work on one node.
const DefaultNodeBudget = 5 * time.Minute

// DefaultParallel is how many nodes a collector reads at once.
const DefaultParallel = 4

// Paths to a node, as the manifest records them.
const (
	PathDebugPod = "debug-pod"
	PathProxy    = "node-log-proxy"
	PathSkipped  = "skipped"
)

// Reaching is how a node collector reaches nodes: which ones, how many at
// once, and through debug pods with the node log proxy as the fall-back.
type Reaching struct {
	Selection Selection
	// Image of the debug pods (default: the gather's own, see Reach).
	Image string
	// NoDebugPods reads through the node log proxy only.
	NoDebugPods bool
	// NodeBudget bounds each path's work on one node (and a debug pod's
	// life).
	NodeBudget time.Duration
	// Parallel is how many nodes are read at once.
	Parallel int
}

// AddFlags registers the flags every node collector has.
func (r *Reaching) AddFlags(fs *pflag.FlagSet) {
	r.Selection.AddFlags(fs)
	fs.StringVar(&r.Image, "image", "", "image of the debug pods (default: the gather's own pod image, else the image this binary belongs to; $MUST_GATHER_IMAGE)")
	fs.BoolVar(&r.NoDebugPods, "no-debug-pods", false, "read only through the node log proxy")
	fs.DurationVar(&r.NodeBudget, "node-timeout", DefaultNodeBudget, "time budget of each node")
	fs.IntVar(&r.Parallel, "parallel", DefaultParallel, "how many nodes to read at once")
}

// Access is what a visit uses: the cluster's clients, the gather's own pod
// when it runs in one, the debug pods' image when no flag names one, where
// its log lines go and the report of how each node was reached.
type Access struct {
	Kube   kubernetes.Interface
	Config *rest.Config
	// Pod is the gather's own pod (nil outside a cluster).
	Pod *builtin.Pod
	// DebugImage is the debug pods' image when --image is not given.
	DebugImage string
	// Since is the start of the run's since-window (zero: none).
	Since  time.Time
	Log    io.Writer
	Report *builtin.Report
}

// AccessOf takes what a visit uses from a built-in's environment.
func AccessOf(env *builtin.Env) (Access, error) {
	cfg, err := env.Cluster.Config()
	if err != nil {
		return Access{}, err
	}
	cs, err := env.Cluster.Kube()
	if err != nil {
		return Access{}, err
	}
	return Access{Kube: cs, Config: cfg, Pod: env.Pod, DebugImage: env.DebugImage, Since: env.Since, Log: env.Log, Report: env.Report}, nil
}

// Collector adapts a node collector's Run to the work of its built-in
// (builtin.Spec): the Access comes from the built-in's environment.
func Collector[C any](run func(ctx context.Context, sink *output.Sink, a Access, cfg C) error) func(context.Context, *builtin.Env, C, []string) error {
	return func(ctx context.Context, env *builtin.Env, cfg C, _ []string) error {
		a, err := AccessOf(env)
		if err != nil {
			return err
		}
		return run(ctx, env.Sink, a, cfg)
	}
}

// Node is one node of a visit.
type Node struct {
	Name string
	// Selected is how many nodes the selection holds, skipped ones
	// included (collectors that merge nodes into one file mark lines with
	// their node when there are several).
	Selected int
	// ControlPlane: the node has the control-plane (or master) role.
	ControlPlane bool
}

// ViaPod reads one node through the node agent in a debug pod on it.
type ViaPod func(ctx context.Context, node Node, exec Exec) error

// ViaProxy reads one node through the node log proxy.
type ViaProxy func(ctx context.Context, node Node, proxy LogProxy) error

// Visit reads every selected node, at most Parallel at a time: through a
// debug pod when one can run there, else through the node log proxy; a
// node that cannot answer is skipped. How each node was reached goes to the
// report and the log (lines prefixed with the collector's name). It
// returns every error, skips included: whatever could be read is kept.
func (r *Reaching) Visit(ctx context.Context, a Access, name string, viaPod ViaPod, viaProxy ViaProxy) error {
	targets, err := Targets(ctx, a.Kube, r.Selection)
	if err != nil {
		return err
	}
	v := visit{Reaching: r, log: a.Log, report: a.Report, name: name, targets: targets, proxy: LogProxy{CS: a.Kube}, noPods: "debug pods disabled (--no-debug-pods)"}
	if v.NodeBudget <= 0 {
		v.NodeBudget = DefaultNodeBudget
	}
	if !r.NoDebugPods && slices.ContainsFunc(targets, func(t Target) bool { return t.SkipReason == "" }) {
		image := r.Image
		if image == "" {
			image = a.DebugImage
		}
		pods, cleanup, err := Reach(ctx, a.Config, a.Kube, image, a.Pod, v.NodeBudget, v.logf)
		defer cleanup()
		if err != nil {
			v.noPods = err.Error()
			v.logf("no debug pods (%s): reading through the node log proxy", v.noPods)
		} else {
			v.pods = pods
			v.logf("debug pods run in namespace %s, labelled %s=%s", pods.Namespace, tempns.RunLabel, pods.runID)
		}
	}
	return v.run(ctx, viaPod, viaProxy)
}

// visit is one Visit once the targets and debug pods are known.
type visit struct {
	*Reaching
	log     io.Writer
	report  *builtin.Report
	name    string
	targets []Target
	pods    *DebugPods // nil: none, for the reason in noPods
	noPods  string
	proxy   LogProxy
}

func (v *visit) logf(format string, args ...any) {
	fmt.Fprintf(v.log, v.name+": "+format+"\n", args...)
}

func (v *visit) run(ctx context.Context, viaPod ViaPod, viaProxy ViaProxy) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		v.logf("%v", err)
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	parallel := v.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, t := range v.targets {
		if t.SkipReason != "" {
			v.report.Node(t.Name, PathSkipped, t.SkipReason)
			fail(fmt.Errorf("skipping node %s: %s", t.Name, t.SkipReason))
			continue
		}
		node := Node{Name: t.Name, Selected: len(v.targets), ControlPlane: t.ControlPlane}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				why := "not reached: " + context.Cause(ctx).Error()
				v.report.Node(node.Name, PathSkipped, why)
				fail(fmt.Errorf("node %s: %s", node.Name, why))
				return
			}
			if err := v.node(ctx, node, viaPod, viaProxy); err != nil {
				fail(fmt.Errorf("node %s: %w", node.Name, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// node reads one node: in a debug pod, else through the proxy.
func (v *visit) node(ctx context.Context, node Node, viaPod ViaPod, viaProxy ViaProxy) error {
	why := v.noPods
	if v.pods != nil {
		err := v.pods.try(ctx, node, v.NodeBudget, func(ctx context.Context, node Node, exec Exec) error {
			v.logf("%s: debug pod running", node.Name)
			return viaPod(ctx, node, exec)
		})
		if ctx.Err() != nil && err != nil {
			// Stopped (interrupted, or the step's budget is spent): no
			// fall-back, nothing more to try.
			v.report.Node(node.Name, PathDebugPod, "stopped: "+context.Cause(ctx).Error())
			return err
		}
		if !errors.Is(err, ErrCannotRun) {
			v.report.Node(node.Name, PathDebugPod, "")
			if err == nil {
				v.logf("%s: read through a debug pod", node.Name)
			}
			return err
		}
		why = err.Error()
		v.logf("%s: falling back to the node log proxy: %s", node.Name, why)
	}
	v.report.Node(node.Name, PathProxy, why)
	v.logf("%s: reading through the node log proxy", node.Name)
	pctx, cancel := context.WithTimeout(ctx, v.NodeBudget)
	defer cancel()
	err := viaProxy(pctx, node, v.proxy)
	if err != nil && ctx.Err() != nil {
		v.report.Node(node.Name, PathProxy, "stopped: "+context.Cause(ctx).Error())
	}
	return err
}

// try runs fn in a debug pod on node within budget. An error wrapping
// ErrCannotRun means no pod could run there (fn did not run).
func (d *DebugPods) try(ctx context.Context, node Node, budget time.Duration, fn ViaPod) error {
	nctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	return d.On(nctx, node.Name, func(exec Exec) error { return fn(nctx, node, exec) })
}

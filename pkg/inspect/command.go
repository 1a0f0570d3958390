package inspect

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/builtin"
)

// Command is the inspect built-in (`gather inspect ...`, and `inspect ...`
// lines of gather.d).
type Command struct {
	cfg Config
}

// New returns the built-in.
func New() builtin.Builtin { return &Command{} }

// Short is the one-line help.
func (c *Command) Short() string {
	return "Gather resources and everything they point at, in the layout of oc adm inspect"
}

// AddFlags registers the flags, named as oc adm inspect names them.
func (c *Command) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&c.cfg.Namespace, "namespace", "n", "", "namespace of namespaced types named without one (default \"default\")")
	fs.BoolVarP(&c.cfg.AllNamespaces, "all-namespaces", "A", false, "list namespaced types in every namespace; with --cluster, gather every namespace")
	fs.BoolVar(&c.cfg.Cluster, "cluster", false, "the whole-cluster default: ClusterOperators and what they point at (when served), cluster-scoped state, and the system namespaces plus every namespace with a failing pod")
	fs.IntVar(&c.cfg.Parallel, "parallel", DefaultParallel, "how many logs and objects to fetch at once")
	fs.Int64Var(&c.cfg.PageSize, "chunk-size", DefaultPageSize, "list large results in chunks of this size")
}

// WriteRunFiles writes the root files of the inspect layout once for a
// whole gather run: the aggregated discovery documents (when the cluster
// can be reached; the run has recorded why not otherwise) and
// event-filter.html over every event gathered.
func (c *Command) WriteRunFiles(ctx context.Context, env *builtin.Env) error {
	var errs []error
	if _, err := env.Cluster.Config(); err == nil {
		errs = append(errs, WriteDiscovery(ctx, env))
	}
	return errors.Join(append(errs, WriteEventFilter(env.Sink))...)
}

// Run gathers.
func (c *Command) Run(ctx context.Context, env *builtin.Env, args []string) error {
	cfg := c.cfg
	cfg.Since = env.Since
	return Run(ctx, env, cfg, args)
}

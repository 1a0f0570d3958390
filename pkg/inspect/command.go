package inspect

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/builtin"
)

// New returns the inspect built-in (`gather inspect ...`, and `inspect ...`
// lines of gather.d).
func New() builtin.Builtin {
	return builtin.Spec[Config]{
		Name:  "inspect",
		Short: "Gather resources and everything they point at, in the layout of oc adm inspect",
		Flags: addFlags,
		Run: func(ctx context.Context, env *builtin.Env, cfg Config, args []string) error {
			cfg.Since = env.Since
			return Run(ctx, env, cfg, args)
		},
		RunFiles: writeRunFiles,
	}.New()
}

// addFlags registers the flags, named as oc adm inspect names them.
func addFlags(fs *pflag.FlagSet, cfg *Config) {
	fs.StringVarP(&cfg.Namespace, "namespace", "n", "", "namespace of namespaced types named without one (default \"default\")")
	fs.BoolVarP(&cfg.AllNamespaces, "all-namespaces", "A", false, "list namespaced types in every namespace; with --cluster, gather every namespace")
	fs.StringSliceVar(&cfg.APIGroups, "api-group", nil, "gather an API group whole: its CRDs and every object of its types in all namespaces (.example.com: the group and its subgroups; repeatable)")
	fs.BoolVar(&cfg.Cluster, "cluster", false, "the whole-cluster default: ClusterOperators and what they point at (when served), cluster-scoped state, and the system namespaces plus every namespace with a failing pod")
	fs.IntVar(&cfg.Parallel, "parallel", DefaultParallel, "how many logs and objects to fetch at once")
	fs.Int64Var(&cfg.PageSize, "chunk-size", DefaultPageSize, "list large results in chunks of this size")
	fs.DurationVar(&cfg.PageTimeout, "page-timeout", DefaultPageTimeout, "time limit of one list request (one chunk)")
}

// writeRunFiles writes the root files of the inspect layout once for a
// whole gather run: the aggregated discovery documents (when the cluster
// can be reached; the run has recorded why not otherwise) and
// event-filter.html over every event gathered.
func writeRunFiles(ctx context.Context, env *builtin.Env) error {
	var errs []error
	if _, err := env.Cluster.Config(); err == nil {
		errs = append(errs, WriteDiscovery(ctx, env))
	}
	return errors.Join(append(errs, WriteEventFilter(env.Sink))...)
}

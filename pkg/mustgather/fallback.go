package mustgather

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/output"
)

// fallbackDir is the folder of the local fall-back in the destination.
const fallbackDir = "inspect.local."

// fallbackArgs are what the local fall-back inspects: the whole-cluster
// default of inspect (on OpenShift it starts from the ClusterOperators and
// what they point at), and on OpenShift also what oc's fall-back takes, the
// ClusterVersion and the cluster version operator's namespace.
func fallbackArgs(openshift bool) (inspect.Config, []string) {
	if openshift {
		return inspect.Config{Cluster: true}, []string{"clusterversions.config.openshift.io/version", "ns/openshift-cluster-version"}
	}
	return inspect.Config{Cluster: true}, nil
}

// fallback gathers, in this process, what needs no pod in the cluster into
// <dest>/inspect.local.<run>, and says so loudly. Its error is a
// cli.FallbackError when it wrote data (exit code 4), cause the pods'.
func (r *run) fallback(ctx context.Context, cfg *rest.Config, openshift bool, cause error) error {
	dir := filepath.Join(r.o.DestDir, fallbackDir+r.id)
	r.logf("WARNING: no must-gather pod could run (%v)", cause)
	r.logf("WARNING: falling back to gathering from here what needs no pod, into %s: this is NOT a full must-gather", dir)
	icfg, args := fallbackArgs(openshift)
	env := &builtin.Env{Cluster: cluster.NewAccess(func() (*rest.Config, error) { return cfg, nil }), Log: r.log}
	err := builtin.RunAlone(ctx, dir, output.Options{VolumePercentage: r.o.VolumePercentage, MaxSize: r.o.Limits.MaxSize.Bytes, MaxLogSize: r.o.Limits.MaxLogSize.Bytes}, env, func(ctx context.Context, env *builtin.Env) error {
		return inspect.Run(ctx, env, icfg, args)
	})
	if env.Sink == nil || env.Sink.Total().Files() == 0 {
		return errors.Join(cause, fmt.Errorf("the local fall-back gathered nothing: %w", err))
	}
	if err != nil {
		r.logf("WARNING: the local fall-back was partial: %v", err)
	}
	r.logf("WARNING: only the local fall-back gathered data, in %s (exit code %d)", dir, cli.ExitFallback)
	return cli.FallbackError{Err: fmt.Errorf("only the local fall-back gathered data (%s): %w", dir, cause)}
}

// servesClusterOperators says whether the cluster is OpenShift (it serves
// ClusterOperators).
func servesClusterOperators(cfg *rest.Config) bool {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false
	}
	l, err := dc.ServerResourcesForGroupVersion("config.openshift.io/v1")
	if err != nil {
		return false
	}
	for _, r := range l.APIResources {
		if r.Name == "clusteroperators" {
			return true
		}
	}
	return false
}

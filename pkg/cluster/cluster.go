// Package cluster turns the kubeconfig flags into a client configuration,
// with the loading rules kubectl uses: --kubeconfig, then KUBECONFIG, then
// ~/.kube/config, then the in-cluster service account.
package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Default client rate limits. At client-go's 5/10, or the 50/100 these
// were, the client's own limit held most of a gather (the benchmark's
// small profile: 63 s at 50/100, 15 s at 200/400, 14 s at 1000/2000; its
// large one as fast at 200/400 as at 1000/2000, 18.0 and 16.9 s, within
// the noise). The API server protects itself (priority and fairness
// queues, or answers 429 with Retry-After, which client-go honours), but
// with its apiserver started with --max-requests-inflight 2 (two seats
// for service accounts) large took 27-34 s at 200/400 and 27-38 s at
// 1000/2000 (median 38 s, more than twice its usual time): the larger
// bursts queue and time out more (BENCHMARKS.md, "Defaults").
const (
	DefaultQPS   = 200
	DefaultBurst = 400
)

// Flags are the cluster-access flags shared by every command.
type Flags struct {
	Kubeconfig string
	Context    string
	QPS        float32
	Burst      int
}

// AddFlags registers the flags, named as kubectl names them.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster config)")
	fs.StringVar(&f.Context, "context", "", "the name of the kubeconfig context to use")
	fs.Float32Var(&f.QPS, "qps", DefaultQPS, "queries per second sent to the API server")
	fs.IntVar(&f.Burst, "burst", DefaultBurst, "burst of queries sent to the API server")
}

// RESTConfig loads the client configuration.
func (f *Flags) RESTConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: f.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no cluster access: no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a pod")
		}
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS = f.QPS
	cfg.Burst = f.Burst
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	// Deprecation warnings of the types we list are noise in a gather log.
	cfg.WarningHandler = rest.NoWarnings{}
	return cfg, nil
}

// ServerVersion asks the API server for its version. It is the cheapest
// request that proves the cluster can be reached with these credentials.
func ServerVersion(ctx context.Context, cfg *rest.Config) (*version.Info, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	body, err := dc.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, fmt.Errorf("reaching the API server at %s: %w", cfg.Host, err)
	}
	var info version.Info
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("decoding the version of %s: %w", cfg.Host, err)
	}
	return &info, nil
}

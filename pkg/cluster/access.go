package cluster

import (
	"sync"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Access builds the cluster clients once, on first use, and remembers a
// failure so every user of a run reports the same one clear error.
type Access struct {
	load func() (*rest.Config, error)

	once sync.Once
	cfg  *rest.Config
	kube kubernetes.Interface
	dyn  dynamic.Interface
	disc discovery.DiscoveryInterface
	err  error
}

// NewAccess returns an Access that loads its configuration with load.
func NewAccess(load func() (*rest.Config, error)) *Access { return &Access{load: load} }

func (a *Access) init() {
	a.once.Do(func() {
		a.cfg, a.err = a.load()
		if a.err != nil {
			return
		}
		if a.kube, a.err = kubernetes.NewForConfig(a.cfg); a.err != nil {
			return
		}
		if a.dyn, a.err = dynamic.NewForConfig(a.cfg); a.err != nil {
			return
		}
		a.disc, a.err = discovery.NewDiscoveryClientForConfig(a.cfg)
	})
}

// Config returns the client configuration.
func (a *Access) Config() (*rest.Config, error) { a.init(); return a.cfg, a.err }

// Kube returns the typed clientset.
func (a *Access) Kube() (kubernetes.Interface, error) { a.init(); return a.kube, a.err }

// Dynamic returns the dynamic client.
func (a *Access) Dynamic() (dynamic.Interface, error) { a.init(); return a.dyn, a.err }

// Discovery returns the discovery client.
func (a *Access) Discovery() (discovery.DiscoveryInterface, error) { a.init(); return a.disc, a.err }

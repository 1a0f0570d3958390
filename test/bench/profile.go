// Package bench holds what the benchmark's commands share (see
// BENCHMARKS.md): the profiles the loader fills the cluster with, the names
// and labels of what it makes, the counting of what a tool gathered, and
// the results table.
package bench

import (
	"fmt"
	"slices"
	"strings"
)

// Profile is the size of a synthetic workload. Totals are spread over the
// gathered namespaces (Share); simulated pods go to namespaces of their own
// (SimNamespaces), outside what the tools are asked to gather, since their
// logs cannot be read.
type Profile struct {
	Name string `json:"name"`
	// Namespaces are the gathered namespaces.
	Namespaces int `json:"namespaces"`
	ConfigMaps int `json:"configMaps"`
	// ConfigMapBytes is the size of each configmap's data.
	ConfigMapBytes int `json:"configMapBytes"`
	Secrets        int `json:"secrets"`
	// Services are headless: the test cluster's Service range is a /24.
	Services int `json:"services"`
	// Deployments have no replicas (their ReplicaSets exist, no pods).
	Deployments     int `json:"deployments"`
	CustomResources int `json:"customResources"`
	Events          int `json:"events"`
	// Pods run on the real node; each container writes LogBytes of log,
	// and RestartedPods of them exit once first, so a previous log exists.
	Pods          int `json:"pods"`
	LogBytes      int `json:"logBytes"`
	RestartedPods int `json:"restartedPods"`
	// SimulatedNodes and SimulatedPods are kwok's.
	SimulatedNodes int `json:"simulatedNodes"`
	SimulatedPods  int `json:"simulatedPods"`
}

// Profiles are the sizes of issue 13.
var profiles = []Profile{
	{Name: "small", Namespaces: 100, ConfigMaps: 2000, ConfigMapBytes: 1024, Secrets: 1000, Services: 200, Deployments: 500},
	{
		Name: "large", Namespaces: 100, ConfigMaps: 5000, ConfigMapBytes: 1024, Secrets: 2000, Services: 500, Deployments: 1000,
		CustomResources: 1000, Events: 1000, Pods: 200, LogBytes: 1 << 20, RestartedPods: 50,
	},
	{
		Name: "scale", Namespaces: 100, ConfigMaps: 50000, ConfigMapBytes: 1024, Secrets: 20000, Services: 5000, Deployments: 10000,
		CustomResources: 10000, Events: 10000, Pods: 200, LogBytes: 1 << 20, RestartedPods: 50,
		SimulatedNodes: 500, SimulatedPods: 2500,
	},
}

// LookupProfile returns the profile of that name.
func LookupProfile(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the profiles.
func ProfileNames() []string {
	var out []string
	for _, p := range profiles {
		out = append(out, p.Name)
	}
	return out
}

// Objects counts the objects the loader creates for p (not those the
// cluster derives from them: ReplicaSets, EndpointSlices, ...).
func (p Profile) Objects() int {
	return p.Namespaces + p.ConfigMaps + p.Secrets + p.Services + p.Deployments + p.CustomResources +
		p.Events + p.Pods + p.SimulatedNodes + p.SimulatedPods + p.SimNamespaces()
}

// SimPodsPerNamespace is how many simulated pods share a namespace.
const SimPodsPerNamespace = 250

// SimNamespaces is how many namespaces hold the simulated pods.
func (p Profile) SimNamespaces() int {
	return (p.SimulatedPods + SimPodsPerNamespace - 1) / SimPodsPerNamespace
}

// Validate reports every impossible size at once.
func (p Profile) Validate() error {
	var errs []string
	for name, v := range map[string]int{"namespaces": p.Namespaces, "configmaps": p.ConfigMaps, "configmap bytes": p.ConfigMapBytes,
		"secrets": p.Secrets, "services": p.Services, "deployments": p.Deployments, "custom resources": p.CustomResources,
		"events": p.Events, "pods": p.Pods, "log bytes": p.LogBytes, "restarted pods": p.RestartedPods,
		"simulated nodes": p.SimulatedNodes, "simulated pods": p.SimulatedPods} {
		if v < 0 {
			errs = append(errs, name+" must not be negative")
		}
	}
	if p.Namespaces < 1 {
		errs = append(errs, "at least one namespace")
	}
	if p.RestartedPods > p.Pods {
		errs = append(errs, "more restarted pods than pods")
	}
	if p.SimulatedPods > 0 && p.SimulatedNodes == 0 {
		errs = append(errs, "simulated pods need simulated nodes")
	}
	if p.Namespaces > 1000 {
		errs = append(errs, "at most 1000 namespaces (their names have three digits)")
	}
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(errs)
	return fmt.Errorf("profile %s: %s", p.Name, strings.Join(errs, "; "))
}

// Share is how many of total items the i-th of n parts gets: the totals
// spread evenly, the first parts taking one more when it does not divide.
func Share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// Restarted reports whether the g-th of pods pods is one of the restarted
// ones: spread evenly over the pods (and so over the namespaces).
func Restarted(g, restarted, pods int) bool {
	if pods == 0 {
		return false
	}
	return g*restarted/pods != (g+1)*restarted/pods
}

package inspect

import (
	"path"

	"github.com/must-gather/toolkit/pkg/output"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The layout of `oc adm inspect`, in one place. Readers open these exact
// paths.

// groupDir is the directory of an API group: "core" for the legacy group.
func groupDir(group string) string {
	if group == "" {
		return "core"
	}
	return group
}

// paths builds the layout's paths. Every name in them came from the
// cluster (an aggregated API may serve any name), so each is one checked
// path element (output.Segment): a name that would climb out of its
// directory is refused, and one too long for a file name is shortened and
// noted.
type paths struct {
	note func(format string, args ...any) // nil: no notes
}

// elem is one element of a path: fixed text, or a name from the cluster and
// the suffix the layout gives it.
type elem struct {
	text, suffix string
	name         bool
}

func fixed(s string) elem            { return elem{text: s} }
func name(s string) elem             { return elem{text: s, name: true} }
func nameWith(s, suffix string) elem { return elem{text: s, suffix: suffix, name: true} }
func group(g string) elem            { return name(groupDir(g)) }

func (p paths) join(elems ...elem) (string, error) {
	parts := make([]string, len(elems))
	for i, e := range elems {
		if !e.name {
			parts[i] = e.text
			continue
		}
		seg, short, err := output.Segment(e.text, e.suffix)
		if err != nil {
			return "", err
		}
		if short && p.note != nil {
			p.note("inspect: %q is too long for a file name: written as %s", e.text, seg)
		}
		parts[i] = seg
	}
	return path.Join(parts...), nil
}

// clusterObject: cluster-scoped-resources/<group>/<resource>/<name>.yaml.
func (p paths) clusterObject(gr schema.GroupResource, n string) (string, error) {
	return p.join(fixed("cluster-scoped-resources"), group(gr.Group), name(gr.Resource), nameWith(n, ".yaml"))
}

// clusterList: cluster-scoped-resources/<group>/<resource>.yaml.
func (p paths) clusterList(gr schema.GroupResource) (string, error) {
	return p.join(fixed("cluster-scoped-resources"), group(gr.Group), nameWith(gr.Resource, ".yaml"))
}

// namespace: namespaces/<ns>/<ns>.yaml.
func (p paths) namespace(ns string) (string, error) {
	return p.join(fixed("namespaces"), name(ns), nameWith(ns, ".yaml"))
}

// namespacedList: namespaces/<ns>/<group>/<resource>.yaml.
func (p paths) namespacedList(ns string, gr schema.GroupResource) (string, error) {
	return p.join(fixed("namespaces"), name(ns), group(gr.Group), nameWith(gr.Resource, ".yaml"))
}

// namespacedObject: namespaces/<ns>/<group>/<resource>/<name>.yaml.
func (p paths) namespacedObject(ns string, gr schema.GroupResource, n string) (string, error) {
	return p.join(fixed("namespaces"), name(ns), group(gr.Group), name(gr.Resource), nameWith(n, ".yaml"))
}

// pod: namespaces/<ns>/pods/<pod>/<pod>.yaml.
func (p paths) pod(ns, pod string) (string, error) {
	return p.join(fixed("namespaces"), name(ns), fixed("pods"), name(pod), nameWith(pod, ".yaml"))
}

// log: namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log.
func (p paths) log(ns, pod, container string, previous bool) (string, error) {
	file := "current.log"
	if previous {
		file = "previous.log"
	}
	return p.join(fixed("namespaces"), name(ns), fixed("pods"), name(pod), name(container), name(container), fixed("logs"), fixed(file))
}

// Root files of an inspect result.
const (
	timestampFile     = "timestamp"
	discoveryAPIFile  = "aggregated-discovery-api.yaml"
	discoveryAPIsFile = "aggregated-discovery-apis.yaml"
	eventFilterFile   = "event-filter.html"
)

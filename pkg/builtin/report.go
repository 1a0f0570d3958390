package builtin

import (
	"sort"
	"sync"
)

// NodeReport says how a node collector reached one node: the path it took
// ("debug-pod", "node-log-proxy") or "skipped", and why when it is not the
// first choice.
type NodeReport struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Reason string `json:"reason,omitempty"`
}

// Report is what a built-in tells the run's manifest beyond its status and
// error. It is safe for concurrent use; a nil Report (a built-in run alone
// has no manifest) records nothing.
type Report struct {
	mu    sync.Mutex
	nodes map[string]NodeReport
}

// Node records how node was reached; a later call for the same node
// replaces the earlier one.
func (r *Report) Node(name, path, reason string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes == nil {
		r.nodes = map[string]NodeReport{}
	}
	r.nodes[name] = NodeReport{Name: name, Path: path, Reason: reason}
}

// Nodes returns what was recorded, by node name.
func (r *Report) Nodes() []NodeReport {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]NodeReport, 0, len(r.nodes))
	for _, n := range r.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return nil
	}
	return out
}

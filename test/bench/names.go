package bench

import "fmt"

// Everything the loader makes carries LoaderLabel=<its set>, so it can find
// and remove it all; namespaces also carry RoleLabel and ProfileLabel.
const (
	LoaderLabel = "bench.must-gather.io/loader"
	// RoleLabel says what a namespace is for: RoleGathered ones are given
	// to the tools, RoleSimulated ones hold pods on simulated nodes.
	RoleLabel     = "bench.must-gather.io/role"
	RoleGathered  = "gathered"
	RoleSimulated = "simulated"
	// ProfileLabel names the sizes a namespace was loaded with.
	ProfileLabel = "bench.must-gather.io/profile"
)

// The loader's CRD (one for every set).
const (
	CRDGroup    = "bench.must-gather.io"
	CRDResource = "widgets"
	CRDKind     = "Widget"
	CRDVersion  = "v1"
)

// Set is one load: the prefix of its names and the value of its
// LoaderLabel, so a test's small load and a benchmark's do not meet.
type Set string

// DefaultSet is the benchmark's.
const DefaultSet Set = "mgtk-bench"

// Namespace is the name of the i-th gathered namespace.
func (s Set) Namespace(i int) string { return fmt.Sprintf("%s-%03d", s, i) }

// SimNamespace is the name of the i-th namespace of simulated pods.
func (s Set) SimNamespace(i int) string { return fmt.Sprintf("%s-sim-%03d", s, i) }

// SimNode is the name of the i-th simulated node.
func (s Set) SimNode(i int) string { return fmt.Sprintf("%s-kwok-%04d", s, i) }

// Selector selects what the set's loader made.
func (s Set) Selector() string { return LoaderLabel + "=" + string(s) }

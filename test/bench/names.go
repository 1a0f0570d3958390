package bench

import "fmt"

// Everything the loader makes carries LoaderLabel=LoaderValue, so it can
// find and remove it all; namespaces also carry RoleLabel.
const (
	LoaderLabel = "bench.must-gather.io/loader"
	LoaderValue = "true"
	// RoleLabel says what a namespace is for: RoleGathered ones are given
	// to the tools, RoleSimulated ones hold pods on simulated nodes.
	RoleLabel     = "bench.must-gather.io/role"
	RoleGathered  = "gathered"
	RoleSimulated = "simulated"
	// ProfileLabel names the profile a namespace was loaded for.
	ProfileLabel = "bench.must-gather.io/profile"
)

// The loader's CRD.
const (
	CRDGroup    = "bench.must-gather.io"
	CRDResource = "widgets"
	CRDKind     = "Widget"
	CRDVersion  = "v1"
)

// Namespace is the name of the i-th gathered namespace.
func Namespace(i int) string { return fmt.Sprintf("mgtk-bench-%03d", i) }

// SimNamespace is the name of the i-th namespace of simulated pods.
func SimNamespace(i int) string { return fmt.Sprintf("mgtk-bench-sim-%03d", i) }

// SimNode is the name of the i-th simulated node.
func SimNode(i int) string { return fmt.Sprintf("mgtk-bench-kwok-%04d", i) }

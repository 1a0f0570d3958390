package nodes

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Selection says which nodes to reach.
type Selection struct {
	// Roles selects nodes with node-role.kubernetes.io/<role>; "master" and
	// "control-plane" are the same role. Default: control-plane.
	Roles []string
	// Names selects nodes by name (overrides Roles).
	Names []string
	// Selector is a label selector (overrides Roles).
	Selector string
}

// Target is a node to reach, or one skipped with the reason.
type Target struct {
	Name       string
	SkipReason string
	// ControlPlane: the node has the control-plane (or master) role.
	ControlPlane bool
}

var controlPlaneLabels = []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"}

// Targets lists the selected nodes in name order; those not Ready (or
// unreachable) carry a SkipReason.
func Targets(ctx context.Context, cs kubernetes.Interface, sel Selection) ([]Target, error) {
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	names := map[string]bool{}
	for _, n := range sel.Names {
		names[n] = true
	}
	var out []Target
	for i := range list.Items {
		n := &list.Items[i]
		if !selected(n, sel, names) {
			continue
		}
		out = append(out, Target{Name: n.Name, SkipReason: notReadyReason(n), ControlPlane: hasAny(n.Labels, controlPlaneLabels)})
		delete(names, n.Name)
	}
	for n := range names {
		out = append(out, Target{Name: n, SkipReason: "no such node"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func selected(n *corev1.Node, sel Selection, names map[string]bool) bool {
	switch {
	case len(sel.Names) > 0:
		return names[n.Name]
	case sel.Selector != "" && len(sel.Roles) == 0:
		return true // the list call applied the selector
	}
	roles := sel.Roles
	if len(roles) == 0 {
		roles = []string{"control-plane"}
	}
	for _, r := range roles {
		keys := []string{"node-role.kubernetes.io/" + r}
		if r == "master" || r == "control-plane" {
			keys = controlPlaneLabels
		}
		if hasAny(n.Labels, keys) {
			return true
		}
	}
	return false
}

func hasAny(labels map[string]string, keys []string) bool {
	for _, k := range keys {
		if _, ok := labels[k]; ok {
			return true
		}
	}
	return false
}

// notReadyReason says why a node cannot answer, or "".
func notReadyReason(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return ""
			}
			return fmt.Sprintf("node is not Ready (%s: %s)", c.Reason, c.Message)
		}
	}
	return "node has no Ready condition"
}

// AddFlags registers the node-selection flags, as `oc adm node-logs` names
// them, filling s.
func (s *Selection) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&s.Roles, "role", nil, "node roles to read (default control-plane)")
	fs.StringSliceVar(&s.Names, "node", nil, "node names to read (instead of roles)")
	fs.StringVarP(&s.Selector, "selector", "l", "", "label selector of the nodes to read (instead of roles)")
}

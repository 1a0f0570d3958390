package mustgather

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// maxCandidates is how many nodes a gather pod may be scheduled to.
const maxCandidates = 10

// candidates are the nodes a gather pod may run on: Ready and schedulable
// (never a NotReady or cordoned one), control-plane nodes first, then the
// newest heartbeat first; at most maxCandidates. None (an empty list, or
// an error reading nodes) leaves the choice to the scheduler.
func candidates(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	type cand struct {
		name         string
		controlPlane bool
		heartbeat    metav1.Time
	}
	var cs2 []cand
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable || n.Labels["kubernetes.io/os"] != "" && n.Labels["kubernetes.io/os"] != "linux" {
			continue
		}
		ready := false
		var beat metav1.Time
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready, beat = c.Status == corev1.ConditionTrue, c.LastHeartbeatTime
			}
		}
		if !ready {
			continue
		}
		_, cp := n.Labels["node-role.kubernetes.io/control-plane"]
		_, master := n.Labels["node-role.kubernetes.io/master"]
		cs2 = append(cs2, cand{name: n.Name, controlPlane: cp || master, heartbeat: beat})
	}
	sort.SliceStable(cs2, func(i, j int) bool {
		if cs2[i].controlPlane != cs2[j].controlPlane {
			return cs2[i].controlPlane
		}
		if !cs2[i].heartbeat.Equal(&cs2[j].heartbeat) {
			return cs2[j].heartbeat.Before(&cs2[i].heartbeat)
		}
		return cs2[i].name < cs2[j].name
	})
	var out []string
	for _, c := range cs2[:min(len(cs2), maxCandidates)] {
		out = append(out, c.name)
	}
	return out, nil
}

// onNodes requires the pod to run on one of names (by node name, as
// metadata.name), and prefers them in their order. The apiserver takes one
// value per metadata.name requirement, so each name is a term of its own
// (terms are ORed).
func onNodes(p *corev1.Pod, names []string) {
	if len(names) == 0 {
		return
	}
	var required []corev1.NodeSelectorTerm
	var preferred []corev1.PreferredSchedulingTerm
	for i, name := range names {
		term := corev1.NodeSelectorTerm{
			MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{name}}},
		}
		required = append(required, term)
		// Weights 100, 90, ... (at least 1): the first candidate first.
		preferred = append(preferred, corev1.PreferredSchedulingTerm{Weight: int32(max(1, 100-10*i)), Preference: term})
	}
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: required},
		PreferredDuringSchedulingIgnoredDuringExecution: preferred,
	}}
}

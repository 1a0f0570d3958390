package nodes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name string, ready corev1.ConditionStatus, labels ...string) *corev1.Node {
	l := map[string]string{}
	for _, k := range labels {
		l[k] = ""
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady", Message: "stopped"}}},
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset(
		node("cp-1", corev1.ConditionTrue, "node-role.kubernetes.io/control-plane"),
		node("cp-2", corev1.ConditionFalse, "node-role.kubernetes.io/master"),
		node("worker-1", corev1.ConditionTrue, "node-role.kubernetes.io/worker"),
		node("infra-1", corev1.ConditionUnknown, "node-role.kubernetes.io/infra"),
	)
	const notReady = "node is not Ready (KubeletNotReady: stopped)"
	tests := []struct {
		name string
		sel  Selection
		want []Target
	}{
		{name: "control plane by default", want: []Target{{Name: "cp-1", ControlPlane: true}, {Name: "cp-2", SkipReason: notReady, ControlPlane: true}}},
		{name: "role master is control plane", sel: Selection{Roles: []string{"master"}}, want: []Target{{Name: "cp-1", ControlPlane: true}, {Name: "cp-2", SkipReason: notReady, ControlPlane: true}}},
		{name: "other roles", sel: Selection{Roles: []string{"worker", "infra"}}, want: []Target{{Name: "infra-1", SkipReason: notReady}, {Name: "worker-1"}}},
		{name: "names", sel: Selection{Names: []string{"worker-1", "gone", "cp-1"}}, want: []Target{{Name: "cp-1", ControlPlane: true}, {Name: "gone", SkipReason: "no such node"}, {Name: "worker-1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Targets(t.Context(), cs, tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Targets (-want +got):\n%s", diff)
			}
		})
	}
}

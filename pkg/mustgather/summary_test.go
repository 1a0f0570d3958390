package mustgather

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name string, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
}

func operator(name string, conds ...map[string]any) *unstructured.Unstructured {
	c := make([]any, len(conds))
	for i := range conds {
		c[i] = conds[i]
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
		"metadata": map[string]any{"name": name}, "status": map[string]any{"conditions": c}}}
}

func cond(typ, status string) map[string]any { return map[string]any{"type": typ, "status": status} }

func TestSummary(t *testing.T) {
	cs := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", UID: "5e1f-kube-system"}},
		node("master-0", corev1.ConditionTrue), node("worker-1", corev1.ConditionUnknown),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "stuck", Namespace: "app"}, Status: corev1.PodStatus{Phase: corev1.PodPending}},
	)
	cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.37.2"}
	scheme := runtime.NewScheme()
	listKinds := map[schema.GroupVersionResource]string{clusterVersions: "ClusterVersionList", clusterOperators: "ClusterOperatorList"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, listKinds,
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "config.openshift.io/v1", "kind": "ClusterVersion",
			"metadata": map[string]any{"name": "version"},
			"spec":     map[string]any{"clusterID": "c1d-4e5"}, "status": map[string]any{"desired": map[string]any{"version": "4.22.3"}}}},
		operator("etcd", cond("Available", "True"), cond("Degraded", "False")),
		operator("network", cond("Available", "False"), cond("Degraded", "True"), cond("Progressing", "True")),
		operator("dns", cond("Available", "True"), cond("Progressing", "True")),
	)
	tests := []struct {
		name      string
		openshift bool
		want      []string
	}{
		{name: "Kubernetes", want: []string{
			"cluster: Kubernetes v1.37.2, cluster ID 5e1f-kube-system (kube-system's UID)",
			"nodes: 2, not Ready: 1 (worker-1)",
			"pods not running (pending, failed, unknown): 1",
		}},
		{name: "OpenShift", openshift: true, want: []string{
			"cluster: OpenShift 4.22.3 (Kubernetes v1.37.2), cluster ID c1d-4e5",
			"cluster operators: 3",
			"  degraded: 1 (network)",
			"  unavailable: 1 (network)",
			"  progressing: 2 (dns, network)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(context.Background(), cs, dyn, tc.openshift)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	at := func(n *corev1.Node, sec int64, labels ...string) *corev1.Node {
		n.Status.Conditions[0].LastHeartbeatTime = metav1.Unix(sec, 0)
		n.Labels = map[string]string{}
		for _, l := range labels {
			n.Labels[l] = ""
		}
		return n
	}
	cordoned := at(node("cordoned", corev1.ConditionTrue), 500, "node-role.kubernetes.io/control-plane")
	cordoned.Spec.Unschedulable = true
	windows := at(node("windows", corev1.ConditionTrue), 500)
	windows.Labels["kubernetes.io/os"] = "windows"
	cs := fake.NewClientset(
		at(node("worker-old", corev1.ConditionTrue), 100),
		at(node("worker-new", corev1.ConditionTrue), 300),
		at(node("master-0", corev1.ConditionTrue), 200, "node-role.kubernetes.io/master"),
		at(node("master-down", corev1.ConditionFalse), 400, "node-role.kubernetes.io/control-plane"),
		at(node("master-unknown", corev1.ConditionUnknown), 400, "node-role.kubernetes.io/control-plane"),
		cordoned, windows,
	)
	got, err := candidates(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	// Ready and schedulable Linux nodes, control-plane first, newest heartbeat first.
	if diff := cmp.Diff([]string{"master-0", "worker-new", "worker-old"}, got); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	p := &corev1.Pod{}
	onNodes(p, got)
	// One name per term: the apiserver refuses a metadata.name
	// requirement with more than one value.
	var required, preferred []string
	var weights []int32
	for _, term := range p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if len(term.MatchFields) != 1 || term.MatchFields[0].Key != "metadata.name" || len(term.MatchFields[0].Values) != 1 {
			t.Fatalf("required term %+v: want one metadata.name with one value", term)
		}
		required = append(required, term.MatchFields[0].Values[0])
	}
	for _, pt := range p.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		preferred = append(preferred, pt.Preference.MatchFields[0].Values[0])
		weights = append(weights, pt.Weight)
	}
	if diff := cmp.Diff(got, required); diff != "" {
		t.Errorf("required nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, preferred); diff != "" {
		t.Errorf("preferred nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int32{100, 90, 80}, weights); diff != "" {
		t.Errorf("weights (-want +got):\n%s", diff)
	}
}

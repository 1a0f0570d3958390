package main

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/must-gather/toolkit/test/bench"
)

func TestEffectiveOverridesTheProfile(t *testing.T) {
	t.Parallel()
	var o options
	if err := o.parse([]string{"--profile", "large", "--namespaces", "3", "--pods", "2", "--restarted-pods", "1",
		"--node", "n1", "--log-image", "img"}); err != nil {
		t.Fatal(err)
	}
	got, err := o.effective()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := bench.LookupProfile("large")
	want.Namespaces, want.Pods, want.RestartedPods = 3, 2, 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective (-want +got):\n%s", diff)
	}

	o = options{}
	if err := o.parse([]string{"--profile", "large", "--parallel", "0"}); err != nil {
		t.Fatal(err)
	}
	_, err = o.effective()
	for _, w := range []string{"pods need --node", "--parallel"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("effective() = %v, want it to say %q", err, w)
		}
	}
}

func TestPlanKeepsAddressesInTheSinkRange(t *testing.T) {
	t.Parallel()
	p := bench.Profile{SimulatedNodes: 500, SimulatedPods: 2500}
	a, err := plan("10.245.0.0/16", "10.0.0.0/24", p)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.nodes) != 500 || a.nodes[0] != netip.MustParseAddr("10.245.0.1") || a.nodes[499] != netip.MustParseAddr("10.245.1.244") {
		t.Errorf("nodes %d, from %v to %v", len(a.nodes), a.nodes[0], a.nodes[len(a.nodes)-1])
	}
	if a.podCIDR != netip.MustParsePrefix("10.245.128.0/17") {
		t.Errorf("pod CIDR %v, want the upper half 10.245.128.0/17", a.podCIDR)
	}
	for _, ip := range append(slices.Clone(a.nodes), a.podCIDR.Addr(), lastAddr(a.podCIDR)) {
		if !a.sink.Contains(ip) {
			t.Errorf("%v is outside the sink range", ip)
		}
		if slices.Contains(a.nodes, ip) && a.podCIDR.Contains(ip) {
			t.Errorf("%v is both a node's and in the pod CIDR", ip)
		}
	}
	args, err := simOptions{sinkCIDR: "10.245.0.0/16", serviceCIDR: "10.0.0.0/24"}.kwokArgs(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(args, "10.245.128.0/17") || !slices.Contains(args, kwokLabel+"=true") {
		t.Errorf("kwok args %q: want the pod CIDR and the label selector", args)
	}

	for _, tt := range []struct{ sink, want string }{
		{"10.0.0.0/16", "overlaps the Service range"},
		{"10.245.0.0/24", "too small"},
		{"fd00::/64", "IPv4"},
		{"nonsense", "sink range"},
	} {
		if _, err := plan(tt.sink, "10.0.0.0/24", p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("plan(%s) = %v, want an error saying %q", tt.sink, err, tt.want)
		}
	}
}

func TestRouteInto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, out string
		ok        bool
	}{
		{"into the node's namespace", "10.245.0.1 via 10.244.99.2 dev mgtk0 src 10.244.99.1 uid 0 \\    cache", true},
		{"out of the host", "10.245.0.1 via 172.16.0.1 dev eth0 src 172.16.0.5 uid 0 \\    cache", false},
		{"on the link, no gateway", "10.245.0.1 dev mgtk0 src 10.244.99.1 uid 0", false},
		{"unreachable", "unreachable 10.245.0.1", false},
		{"nothing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := routeInto(tt.out, "10.244.99.2", "mgtk0"); (err == nil) != tt.ok {
				t.Errorf("routeInto(%q) = %v, want ok=%v", tt.out, err, tt.ok)
			}
		})
	}
}

func TestPodDone(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pod := func(restart string, phase corev1.PodPhase, st corev1.ContainerState, restarts int32) *corev1.Pod {
		p := logPod(bench.DefaultSet, "ns", 0, "node", "img", 10, restart == "true")
		p.Status.Phase = phase
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "logger", State: st, RestartCount: restarts}}
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"running", pod("false", corev1.PodRunning, running, 0), true},
		{"pending", pod("false", corev1.PodPending, corev1.ContainerState{}, 0), false},
		{"to restart, not yet", pod("true", corev1.PodRunning, running, 0), false},
		{"restarted and running", pod("true", corev1.PodRunning, running, 1), true},
		{"restarted, waiting", pod("true", corev1.PodRunning, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{}}, 1), false},
	}
	for _, tt := range tests {
		if got := podDone(tt.pod); got != tt.want {
			t.Errorf("%s: podDone = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestObjectsAreDeterministicAndSized(t *testing.T) {
	t.Parallel()
	cm := configMap(bench.DefaultSet, "ns", 7, 1024, rand.New(rand.NewPCG(1, 2)))
	again := configMap(bench.DefaultSet, "ns", 7, 1024, rand.New(rand.NewPCG(1, 2)))
	if diff := cmp.Diff(cm, again); diff != "" {
		t.Errorf("configMap is not deterministic:\n%s", diff)
	}
	if n := len(cm.Data["application.properties"]); n != 1024 || cm.Name != "config-00007" || cm.Labels[bench.LoaderLabel] != string(bench.DefaultSet) {
		t.Errorf("configmap %s: %d bytes of data, labels %v", cm.Name, n, cm.Labels)
	}
	restarted := logPod(bench.DefaultSet, "ns", 1, "node", "img", 1<<20, true)
	plain := logPod(bench.DefaultSet, "ns", 2, "node", "img", 1<<20, false)
	if !slices.Contains(restarted.Spec.Containers[0].Args, "--fail-first") || slices.Contains(plain.Spec.Containers[0].Args, "--fail-first") {
		t.Errorf("args %q and %q: only the restarted pod fails first", restarted.Spec.Containers[0].Args, plain.Spec.Containers[0].Args)
	}
	if restarted.Spec.NodeName != "node" || restarted.Spec.Containers[0].ImagePullPolicy != corev1.PullNever {
		t.Errorf("pod spec %+v: want it on the node, never pulled", restarted.Spec)
	}
	if fingerprint(bench.Profile{Name: "a", Pods: 1}) == fingerprint(bench.Profile{Name: "a", Pods: 2}) ||
		fingerprint(bench.Profile{Name: "a"}) != fingerprint(bench.Profile{Name: "a"}) {
		t.Error("fingerprint does not tell sizes apart, or is not stable")
	}
}

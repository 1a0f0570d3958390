package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/test/bench"
)

// Simulated nodes and their pods are kwok's (sigs.k8s.io/kwok): the loader
// creates the Node objects and the pods bound to them, and a kwok
// controller (started by hack/bench.sh with the arguments `loader
// --kwok-args` prints) keeps them Ready and Running.
//
// Network safety: the apiserver dials a node's InternalIP (for logs, exec,
// proxy). Every address a simulated node or pod gets comes from the sink
// range of the harness: a range the host routes into the node's network
// namespace, where it ends in a sink. The loader checks the host's route
// for the first and last address it will use before it creates any node,
// and refuses otherwise (never a range the host would send out, never the
// Service range, which is kwok's default pod CIDR).

const (
	// kwokLabel selects the nodes kwok manages: only the loader's.
	kwokLabel = "bench.must-gather.io/kwok"
	// kwokTaint keeps every other pod (other tests') off simulated nodes.
	kwokTaint = "kwok.x-k8s.io/node"
)

type simOptions struct {
	// sinkCIDR is the harness's sink range for simulated addresses.
	sinkCIDR string
	// via and dev are the route the host must have into the node's
	// namespace: the node-side veth address and the host-side veth.
	via, dev string
	// serviceCIDR must not overlap the sink range.
	serviceCIDR   string
	printKwokArgs bool
}

func (s *simOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.sinkCIDR, "sink-cidr", "", "the harness's sink range for simulated node and pod addresses (default: the one of the harness's record in --cluster-dir)")
	fs.StringVar(&s.via, "sink-via", "10.244.99.2", "the node-side veth address the host must route the sink range through")
	fs.StringVar(&s.dev, "sink-dev", "mgtk0", "the host-side veth the host must route the sink range through")
	fs.StringVar(&s.serviceCIDR, "service-cidr", "10.0.0.0/24", "the cluster's Service range, which the sink range must not overlap")
	fs.BoolVar(&s.printKwokArgs, "kwok-args", false, "check the sink range, print the kwok controller's arguments for this profile, and exit")
}

// addresses splits the sink range: the lower half for nodes (from its
// second address), the upper half for kwok's pod CIDR.
type addresses struct {
	sink    netip.Prefix
	nodes   []netip.Addr
	podCIDR netip.Prefix
}

func plan(sinkCIDR, serviceCIDR string, p bench.Profile) (addresses, error) {
	sink, err := netip.ParsePrefix(sinkCIDR)
	if err != nil {
		return addresses{}, fmt.Errorf("sink range %q: %w", sinkCIDR, err)
	}
	sink = sink.Masked()
	if !sink.Addr().Is4() || sink.Bits() > 30 {
		return addresses{}, fmt.Errorf("sink range %s: want an IPv4 range of at least /30", sink)
	}
	svc, err := netip.ParsePrefix(serviceCIDR)
	if err != nil {
		return addresses{}, fmt.Errorf("service range %q: %w", serviceCIDR, err)
	}
	if sink.Overlaps(svc) {
		return addresses{}, fmt.Errorf("sink range %s overlaps the Service range %s", sink, svc)
	}
	half := 1 << (31 - sink.Bits()) // addresses in each half
	if p.SimulatedNodes > half-2 || p.SimulatedPods > half-2 {
		return addresses{}, fmt.Errorf("sink range %s is too small for %d simulated nodes and %d pods (halves of %d addresses)", sink, p.SimulatedNodes, p.SimulatedPods, half)
	}
	a := addresses{sink: sink}
	ip := sink.Addr().Next()
	for range p.SimulatedNodes {
		a.nodes = append(a.nodes, ip)
		ip = ip.Next()
	}
	upper := sink.Addr()
	for range half {
		upper = upper.Next()
	}
	a.podCIDR = netip.PrefixFrom(upper, sink.Bits()+1)
	return a, nil
}

// check refuses unless every address to use routes into the harness's
// namespace.
func (s simOptions) check(ctx context.Context, p bench.Profile) error {
	if s.sinkCIDR == "" {
		return errors.New("simulated nodes need the harness's sink range for simulated addresses: --sink-cidr, or --cluster-dir of a cluster that has one")
	}
	a, err := plan(s.sinkCIDR, s.serviceCIDR, p)
	if err != nil {
		return err
	}
	probes := []netip.Addr{a.podCIDR.Addr().Next(), lastAddr(a.podCIDR)}
	if len(a.nodes) > 0 {
		probes = append(probes, a.nodes[0], a.nodes[len(a.nodes)-1])
	}
	for _, ip := range probes {
		out, err := exec.CommandContext(ctx, "ip", "-4", "-o", "route", "get", ip.String()).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip route get %s: %w: %s", ip, err, out)
		}
		if err := routeInto(string(out), s.via, s.dev); err != nil {
			return fmt.Errorf("refusing to create simulated nodes: %s: %w", ip, err)
		}
	}
	return nil
}

// routeInto checks an `ip -o route get` answer: through via, on dev.
func routeInto(out, via, dev string) error {
	f := strings.Fields(out)
	got := map[string]string{}
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "via" || f[i] == "dev" {
			got[f[i]] = f[i+1]
		}
	}
	if len(f) == 0 || f[0] == "unreachable" || f[0] == "blackhole" || f[0] == "prohibit" {
		return fmt.Errorf("no route (%q)", strings.TrimSpace(out))
	}
	if got["via"] != via || got["dev"] != dev {
		return fmt.Errorf("the host routes it %q, want via %s dev %s (into the node's namespace)", strings.TrimSpace(out), via, dev)
	}
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	for range (1 << (32 - p.Bits())) - 2 {
		a = a.Next()
	}
	return a
}

// kwokArgs are the kwok controller's arguments for this profile.
func (s simOptions) kwokArgs(p bench.Profile) ([]string, error) {
	a, err := plan(s.sinkCIDR, s.serviceCIDR, p)
	if err != nil {
		return nil, err
	}
	return []string{"--manage-nodes-with-label-selector", kwokLabel + "=true", "--cidr", a.podCIDR.String(),
		"--node-ip", a.sink.Addr().Next().String()}, nil
}

// simWork is the creates of the simulated nodes and their pods (none
// without simulated nodes); their namespaces exist already.
func (l *loader) simWork(ctx context.Context, s simOptions) []func() error {
	p := l.p
	if p.SimulatedNodes == 0 {
		return nil
	}
	a, err := plan(s.sinkCIDR, s.serviceCIDR, p)
	if err != nil {
		return []func() error{func() error { return err }}
	}
	var work []func() error
	for i, ip := range a.nodes {
		n := simNode(l.set, l.set.SimNode(i), ip)
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
			return l.count("node "+n.Name, err)
		})
	}
	for g := range p.SimulatedPods {
		ns := l.set.SimNamespace(g / bench.SimPodsPerNamespace)
		pod := simPod(l.set, ns, g, l.set.SimNode(g%p.SimulatedNodes))
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			return l.count("pod "+ns+"/"+pod.Name, err)
		})
	}
	return work
}

func simNode(set bench.Set, name string, ip netip.Addr) *corev1.Node {
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("110")}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: loaderLabels(set, map[string]string{kwokLabel: "true", corev1.LabelHostname: name, "type": "kwok",
				"node-role.kubernetes.io/worker": ""}),
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: kwokTaint, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
		// A node's status is taken on create: its address is ours, not
		// kwok's --node-ip.
		Status: corev1.NodeStatus{
			Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip.String()}, {Type: corev1.NodeHostName, Address: name}},
			Capacity:    capacity,
			Allocatable: capacity,
		},
	}
}

func simPod(set bench.Set, ns string, g int, node string) *corev1.Pod {
	m := meta(set, ns, fmt.Sprintf("sim-%05d", g), "simulated")
	return &corev1.Pod{ObjectMeta: m, Spec: corev1.PodSpec{
		NodeName:    node,
		Tolerations: []corev1.Toleration{{Key: kwokTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		Containers: []corev1.Container{{Name: "app", Image: "registry.example/bench/app:1.0",
			Args: []string{"--port=8080"}, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
	}}
}

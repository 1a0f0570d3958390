package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Stopping and starting the node's kubelet while the cluster runs (the
// kubelet itself runs in node.go's runKubelet).

// startKubelet starts the kubelet in the node's network namespace and
// waits until its node is Ready.
func (c *Config) startKubelet(ctx context.Context, cs kubernetes.Interface, self string) error {
	// Reachable again (stop-kubelet --unreachable): remove every copy of
	// the rule; -C fails when there is none left.
	for {
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-C"}, kubeletDrop...)...); err != nil {
			break
		}
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-D"}, kubeletDrop...)...); err != nil {
			return fmt.Errorf("making the kubelet's port reachable again: %w", err)
		}
	}
	if err := c.startDaemon("kubelet", c.KubeletLogFile,
		append([]string{"nsenter", "--net=" + c.NetNSPath(), "--", self, "kubelet"}, c.kubeletArgs()...)...); err != nil {
		return err
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if !alive(readPid(c.PidFile("kubelet"))) {
			return false, fmt.Errorf("the kubelet exited (see %s)", c.KubeletLogFile)
		}
		n, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		cond := readyCondition(n)
		if cond == nil {
			last = "no Ready condition"
			return false, nil
		}
		last = fmt.Sprintf("Ready=%s: %s", cond.Status, cond.Message)
		// Ready, and the node controller has taken back the taints of its
		// absence (a restarted kubelet), so pods schedule.
		return cond.Status == corev1.ConditionTrue && !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == corev1.TaintNodeUnreachable || t.Key == corev1.TaintNodeNotReady
		}), nil
	})
	if err != nil {
		return fmt.Errorf("node %s not ready (%s): %w", c.NodeName, last, err)
	}
	// Ready says the kubelet reaches the apiserver; logs and exec need the
	// way back too.
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "healthz").DoRaw(ctx)
		last = fmt.Sprint(err)
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("node %s: the apiserver cannot reach its kubelet (%s): %w", c.NodeName, last, err)
	}
	return nil
}

// kubeletDrop drops what reaches the kubelet's port in the node's network
// namespace: the node answers nothing there, as a powered-off node would.
var kubeletDrop = []string{"INPUT", "-p", "tcp", "--dport", "10250", "-j", "DROP"}

// stopKubelet stops the node's kubelet (its pods keep running) and waits
// until the node controller marks the node NotReady. unreachable also drops
// what is sent to the kubelet's port, so the apiserver's calls to it time
// out instead of being refused.
func (c *Config) stopKubelet(ctx context.Context, cs kubernetes.Interface, unreachable bool) error {
	if !alive(readPid(c.PidFile("kubelet"))) {
		return fmt.Errorf("the kubelet of %s is not running", c.NodeName)
	}
	c.stopDaemon("kubelet", 15*time.Second)
	if unreachable {
		if _, err := c.inNS(ctx, "iptables", append([]string{"-w", "-I"}, kubeletDrop...)...); err != nil {
			return fmt.Errorf("making the kubelet's port unreachable: %w", err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		cond := readyCondition(n)
		return cond != nil && cond.Status != corev1.ConditionTrue, nil
	})
}

// readyCondition is the node's Ready condition, or nil.
func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

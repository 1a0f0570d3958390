package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/must-gather/toolkit/pkg/output"
)

// gatherPodLogs fetches, in the background and bounded by Parallel (it
// waits while Parallel logs are in flight), the current log of every
// container and init container of a pod, and the previous log of those
// that restarted. Under --max-size it only queues them (see fetchQueuedLogs).
func (in *inspector) gatherPodLogs(ctx context.Context, u *unstructured.Unstructured) {
	var pod corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &pod); err != nil {
		in.record(fmt.Errorf("reading pod %s/%s: %w", u.GetNamespace(), u.GetName(), err))
		return
	}
	group := 1
	if LogsFirst(&pod) {
		group = 0
	}
	for _, l := range PodLogs(&pod) {
		fetch := func() { in.fetchLog(ctx, pod.Spec.NodeName, pod.Namespace, pod.Name, l.Container, l.Previous) }
		if in.sink.HasBudget() {
			in.mu.Lock()
			in.queued[group] = append(in.queued[group], fetch)
			in.mu.Unlock()
			continue
		}
		in.spawn(ctx, fetch)
	}
}

// fetchQueuedLogs fetches the logs queued under --max-size once every
// object is written (objects are never refused, so they go first): the
// logs of failing pods, all of them, then those of healthy pods, so when
// the budget runs out it is the healthy pods' logs that are cut or left
// out, whatever the order the pods were found in.
func (in *inspector) fetchQueuedLogs(ctx context.Context) {
	for _, group := range in.queued {
		for _, fetch := range group {
			in.spawn(ctx, fetch)
		}
		in.wg.Wait()
	}
	in.queued = [2][]func(){}
}

// LogsFirst reports a pod whose logs go first under --max-size: a failing
// one (see Failing), or a running one that is not ready.
func LogsFirst(p *corev1.Pod) bool {
	if Failing(p) {
		return true
	}
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status != corev1.ConditionTrue
		}
	}
	return true
}

// ContainerLog names one log of a pod: a container's current or previous
// log.
type ContainerLog struct {
	Container string
	Previous  bool
}

// PodLogs are the logs gather inspect fetches of a pod: the current log of
// every container (init and ephemeral ones too) that started or restarted,
// and the previous log of every one that restarted. (The benchmark's floor
// fetches these too.)
func PodLogs(pod *corev1.Pod) []ContainerLog {
	statuses := map[string]corev1.ContainerStatus{}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			statuses[s.Name] = s
		}
	}
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	var out []ContainerLog
	for _, c := range names {
		st, ok := statuses[c]
		if !ok {
			continue // never created: no log
		}
		started := st.State.Running != nil || st.State.Terminated != nil
		restarted := st.RestartCount > 0 || st.LastTerminationState.Terminated != nil
		// A container waiting to restart still has the log of its last
		// run as its current log.
		if started || restarted {
			out = append(out, ContainerLog{Container: c})
		}
		if restarted {
			out = append(out, ContainerLog{Container: c, Previous: true})
		}
	}
	return out
}

// spawn runs fn in the background, at most Parallel at a time: it waits
// for a free slot before it starts a goroutine, so the goroutines never
// outnumber the bound, whatever the number of containers. Once ctx is
// done, fn runs here: it fails at once, and its error is recorded as it
// would have been in the background.
func (in *inspector) spawn(ctx context.Context, fn func()) {
	select {
	case in.sem <- struct{}{}:
	case <-ctx.Done():
		fn()
		return
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		defer func() { <-in.sem }()
		fn()
	}()
}

// fetchLog streams one container log into its file. A log that does not
// exist (a container that never ran, no previous instance) is absent data,
// not an error. Once the kubelet of node could not be reached, the other
// logs of its pods are skipped (counted, not tried).
func (in *inspector) fetchLog(ctx context.Context, node, ns, pod, container string, previous bool) {
	if in.deadNodes.skip(node) {
		return
	}
	opts := &corev1.PodLogOptions{Container: container, Previous: previous, Timestamps: true}
	if !in.cfg.Since.IsZero() {
		t := metav1.NewTime(in.cfg.Since)
		opts.SinceTime = &t
	}
	rel, err := in.paths.log(ns, pod, container, previous)
	if err != nil {
		in.record(fmt.Errorf("log of %s/%s container %s: %w", ns, pod, container, err))
		return
	}
	// The file first: a log --max-size has no room for is not fetched.
	f, err := in.sink.CreateLog(rel)
	if errors.Is(err, output.ErrBudgetSpent) {
		in.budgetSpent.Do(func() {
			in.logf("inspect: --max-size is spent: the logs left are not gathered (each is recorded as a cut)")
		})
		return
	}
	if err != nil {
		in.record(err)
		return
	}
	stream, err := in.kube.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		f.Abort()
		if isNotFoundish(err) {
			return
		}
		if kubeletUnreachable(err) {
			in.deadNodes.trip(node, err)
		}
		in.record(fmt.Errorf("log of %s/%s container %s (previous=%v): %w", ns, pod, container, previous, err))
		return
	}
	defer stream.Close()
	defer func() {
		if c := f.Cut(); c != nil {
			in.logf("inspect: %s", c)
		}
	}()
	n, err := io.Copy(f, stream)
	if err != nil {
		if n == 0 {
			f.Abort()
		} else {
			// Keep what arrived: part of a log is still evidence.
			in.record(f.Close())
		}
		in.record(fmt.Errorf("log of %s/%s container %s (previous=%v) cut after %d bytes: %w", ns, pod, container, previous, n, err))
		return
	}
	in.record(f.Close())
}

// kubeletUnreachable reports an error of the apiserver that could not reach
// a node's kubelet (a refused or timed-out connection), as opposed to one
// about the log itself or our own connection to the apiserver. The
// apiserver relays the dial error only as the text of its status (no reason
// or cause says so), hence the match on that text.
func kubeletUnreachable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	msg := status.Status().Message
	return strings.Contains(msg, "dial tcp ") || strings.Contains(msg, "TLS handshake timeout")
}

// deadNodes remembers the nodes whose kubelet could not be reached for a
// log, and counts the logs skipped on each since: in a cluster with a dead
// node, one connection timeout (30 s in the apiserver) per node, not one
// per container of its pods.
type deadNodes struct {
	mu      sync.Mutex
	first   map[string]error
	skipped map[string]int
}

// skip reports (and counts) a log on a node known to be unreachable.
func (d *deadNodes) skip(node string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if node == "" || d.first[node] == nil {
		return false
	}
	d.skipped[node]++
	return true
}

// trip marks node unreachable, keeping the first error.
func (d *deadNodes) trip(node string, err error) {
	if node == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.first == nil {
		d.first, d.skipped = map[string]error{}, map[string]int{}
	}
	if d.first[node] == nil {
		d.first[node] = err
	}
}

// errors says, per unreachable node with skipped logs, how many and why.
func (d *deadNodes) errors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	nodes := make([]string, 0, len(d.skipped))
	for n := range d.skipped {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	var out []error
	for _, n := range nodes {
		out = append(out, fmt.Errorf("skipped %d container logs of pods on node %s: its kubelet could not be reached (%w)", d.skipped[n], n, d.first[n]))
	}
	return out
}

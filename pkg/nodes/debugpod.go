package nodes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/tempns"
)

// ErrCannotRun says a debug pod could not run on the node (forbidden, image
// not there, never started in its budget): the caller falls back.
var ErrCannotRun = errors.New("debug pod cannot run")

// DebugPods runs privileged pods on nodes, with the host's root at /host,
// running the gather binary's node agent, and execs into them.
type DebugPods struct {
	CS     kubernetes.Interface
	Config *rest.Config
	// Image is the gather image (the same pinned image as the gather).
	Image string
	// Namespace holds the pods; empty: a temporary namespace of the run.
	Namespace string
	// Owner, in a cluster, is the gather's own pod: its deletion takes the
	// debug pods along.
	Owner *metav1.OwnerReference
	// Budget bounds each pod's life (activeDeadlineSeconds, so even a
	// gather killed with SIGKILL leaves no pod running for long).
	Budget time.Duration
	// Logf, when set, hears what the pods' housekeeping did.
	Logf func(format string, args ...any)

	runID   string
	tempNS  bool
	prepped bool
	// noPriority is set once the cluster refused a critical debug pod.
	noPriority atomic.Bool
}

// debugPodPriority makes a debug pod critical: the kubelet admits a critical
// pod on a node under disk or PID pressure, where it refuses any other
// (a full disk is a common reason to gather). `oc adm must-gather` gives
// its own pod the same class.
const debugPodPriority = "system-cluster-critical"

// Prepare makes the namespace when needed and sweeps what earlier runs
// left: expired temporary namespaces, or, in the gather's own namespace,
// pods of other runs. The returned cleanup removes what this run made.
func (d *DebugPods) Prepare(ctx context.Context) (func(), error) {
	d.runID = tempns.NewRunID()
	if d.Budget == 0 {
		d.Budget = DefaultNodeBudget
	}
	if d.Namespace == "" {
		tempns.SweepExpired(ctx, d.CS, d.Logf)
		got, err := tempns.Create(ctx, d.CS, tempns.Name("must-gather-nodes-"), d.runID, d.expires(ctx))
		if err != nil {
			return func() {}, fmt.Errorf("%w: creating a namespace for debug pods: %w", ErrCannotRun, err)
		}
		d.Namespace, d.tempNS = got.Name, true
	} else {
		sweepOrphans(ctx, d.CS, d.Namespace, d.runID)
	}
	d.prepped = true
	return d.cleanup, nil
}

// sweepOrphans deletes, in ns, the debug pods of earlier runs (other run
// IDs) whose gather is over: those of a gather pod that is gone or has
// ended, and those of no gather pod. The debug pods of another gather that
// still runs there stay: the client runs the gathers of several images in
// one namespace at once, each with its node collectors.
func sweepOrphans(ctx context.Context, cs kubernetes.Interface, ns, runID string) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: tempns.RunLabel + "," + tempns.RunLabel + "!=" + runID})
	if err != nil {
		return
	}
	for _, p := range list.Items {
		if gatherRuns(ctx, cs, ns, p.OwnerReferences) {
			continue
		}
		_ = cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	}
}

// gatherRuns says whether owners name a pod of ns that has not ended.
func gatherRuns(ctx context.Context, cs kubernetes.Interface, ns string, owners []metav1.OwnerReference) bool {
	for _, o := range owners {
		if o.Kind != "Pod" {
			continue
		}
		p, err := cs.CoreV1().Pods(ns).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil || p.UID != o.UID || p.DeletionTimestamp != nil {
			continue
		}
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			return true
		}
	}
	return false
}

// expires is when the run's last debug pod is dead for sure: the last one
// starts before ctx's deadline (a day when there is none) and lives at most
// the budget.
func (d *DebugPods) expires(ctx context.Context) time.Time {
	last, ok := ctx.Deadline()
	if !ok {
		last = time.Now().Add(24 * time.Hour)
	}
	return last.Add(d.Budget + time.Minute)
}

func (d *DebugPods) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = d.CS.CoreV1().Pods(d.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)},
		metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + d.runID})
	if d.tempNS {
		_ = d.CS.CoreV1().Namespaces().Delete(ctx, d.Namespace, metav1.DeleteOptions{})
	}
}

// Exec runs a command of the node agent in the node's debug pod.
type Exec func(ctx context.Context, command []string, stdout io.Writer) error

// Read runs command and hands its stdout to read as it streams. It returns
// both what read and the command say; when read stops early, the stream
// is closed under the command, which then ends too.
func (e Exec) Read(ctx context.Context, command []string, read func(io.Reader) error) error {
	return pods.Pipe(func(w io.Writer) error { return e(ctx, command, w) }, read)
}

// On runs fn with a debug pod on node, and deletes the pod afterwards
// (also on error, timeout and cancellation). An error wrapping ErrCannotRun
// means no pod could run there.
func (d *DebugPods) On(ctx context.Context, node string, fn func(Exec) error) error {
	if !d.prepped {
		return fmt.Errorf("%w: DebugPods not prepared", ErrCannotRun)
	}
	deadline := int64(d.Budget.Seconds())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "must-gather-node-",
			Namespace:    d.Namespace,
			Labels:       map[string]string{tempns.RunLabel: d.runID},
		},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostPID:                       true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: new(int64),
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            "agent",
				Image:           d.Image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{"/usr/bin/gather", "node-agent", "wait"},
				SecurityContext: &corev1.SecurityContext{Privileged: new(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host"}},
			}},
			// Nothing else: the agent writes nowhere (the node's disk may be
			// full), it streams.
			Volumes: []corev1.Volume{
				{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
			},
		},
	}
	if d.Owner != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*d.Owner}
	}
	created, err := d.create(ctx, pod)
	if err != nil {
		return fmt.Errorf("%w: creating a debug pod on %s: %w", ErrCannotRun, node, err)
	}
	client := d.client()
	defer func() { _ = client.Delete(ctx, d.Namespace, created.Name) }()
	wctx, cancel := context.WithTimeout(ctx, min(startTimeout, d.Budget))
	defer cancel()
	if _, err := client.Wait(wctx, d.Namespace, created.Name, pods.Running); err != nil {
		return fmt.Errorf("%w: debug pod on %s: %w", ErrCannotRun, node, err)
	}
	in := pods.Container{Namespace: d.Namespace, Pod: created.Name, Name: "agent"}
	return fn(func(ctx context.Context, command []string, stdout io.Writer) error {
		return client.Exec(ctx, in, command, pods.Streams{Stdout: stdout})
	})
}

func (d *DebugPods) client() pods.Client { return pods.Client{CS: d.CS, Config: d.Config} }

// create creates a debug pod, critical unless the cluster refuses that (a
// quota on critical priority classes, as some clusters have outside their
// system namespaces): then it and later pods of the run go without.
func (d *DebugPods) create(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	if !d.noPriority.Load() {
		created, refused, err := d.client().CreatePreferring(ctx, pod, debugPodPriority)
		if refused != nil {
			d.noPriority.Store(true)
			if d.Logf != nil {
				d.Logf("debug pods go without priority class %s: %v", debugPodPriority, refused)
			}
		}
		return created, err
	}
	return d.client().Create(ctx, pod)
}

// startTimeout bounds how long a debug pod may take to start.
const startTimeout = time.Minute

// OwnImage returns the image of the gather's own pod (spec, not the status
// image ID, which may not be pullable) and an owner reference to the pod.
func OwnImage(ctx context.Context, cs kubernetes.Interface, namespace, name string) (string, *metav1.OwnerReference, error) {
	p, err := cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("reading the gather's own pod %s/%s: %w", namespace, name, err)
	}
	image := p.Spec.Containers[0].Image
	for _, c := range p.Spec.Containers {
		if c.Name == "gather" {
			image = c.Image
		}
	}
	return image, &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: p.Name, UID: p.UID}, nil
}

package pods

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// ErrEnded says a pod ended before what was waited for happened; the error
// wrapping it says why (see EndReason).
var ErrEnded = errors.New("pod ended")

// WaitingError says a container waits for a reason that does not go away
// by waiting (its image cannot be pulled, its configuration is wrong).
type WaitingError struct {
	Container, Reason, Message string
}

func (e *WaitingError) Error() string { return e.Reason + ": " + e.Message }

// hopeless are the reasons a container waits that waiting does not cure.
var hopeless = []string{"ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"}

// A Condition says, from the latest state of a pod, whether the wait is
// over (done) or can never end well (err).
type Condition func(*corev1.Pod) (done bool, err error)

// Running is done once the pod runs. A pod that ended is an error wrapping
// ErrEnded; a container waiting hopelessly, a *WaitingError; a pod no node
// can take, an *UnschedulableError.
func Running(p *corev1.Pod) (bool, error) {
	switch p.Status.Phase {
	case corev1.PodRunning:
		return true, nil
	case corev1.PodFailed, corev1.PodSucceeded:
		return false, fmt.Errorf("%w: %s", ErrEnded, EndReason(p))
	}
	return false, hopelessWait(p)
}

// ContainerEnded is done once the named container has terminated, whatever
// its exit code (the caller reads it from the pod returned). A pod that
// ended without it is an error wrapping ErrEnded; a container waiting
// hopelessly, a *WaitingError.
func ContainerEnded(name string) Condition {
	return func(p *corev1.Pod) (bool, error) {
		for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if s.Name == name && s.State.Terminated != nil {
				return true, nil
			}
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("%w: %s", ErrEnded, EndReason(p))
		}
		return false, hopelessWait(p)
	}
}

// UnschedulableError says the scheduler found no node for the pod (as oc
// adm must-gather does, the wait ends there rather than at its timeout).
type UnschedulableError struct{ Message string }

func (e *UnschedulableError) Error() string { return "Unschedulable: " + e.Message }

func hopelessWait(p *corev1.Pod) error {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &UnschedulableError{Message: c.Message}
		}
	}
	for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if w := s.State.Waiting; w != nil {
			for _, r := range hopeless {
				if w.Reason == r {
					return &WaitingError{Container: s.Name, Reason: w.Reason, Message: w.Message}
				}
			}
		}
	}
	return nil
}

// pending says why a pod that has not got there yet waits: a container's
// reason other than ContainerCreating, or "".
func pending(p *corev1.Pod) string {
	if p == nil {
		return ""
	}
	for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if w := s.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
			return w.Reason + ": " + w.Message
		}
	}
	return ""
}

// EndReason says why a pod ended: its own reason, else its container's.
func EndReason(p *corev1.Pod) string {
	if p.Status.Reason != "" {
		return strings.TrimSpace(p.Status.Reason + ": " + p.Status.Message)
	}
	for _, s := range p.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil {
			return strings.TrimSpace(fmt.Sprintf("%s (exit code %d): %s", t.Reason, t.ExitCode, t.Message))
		}
	}
	return string(p.Status.Phase)
}

// Wait watches the pod until cond is done and returns the pod as it was
// then. It ends early with cond's error, with a NotFound error when the pod
// is not there or is deleted, and with ctx's error (and, when a container
// waits for a reason, that reason) when ctx is done first: bound it with a
// timeout. It lists and watches only this pod (a field selector on its
// name) and recovers from broken watches by listing again.
func (c Client) Wait(ctx context.Context, namespace, name string, cond Condition) (*corev1.Pod, error) {
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	pods := c.CS.CoreV1().Pods(namespace)
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return pods.Watch(ctx, o)
		},
	}, c.CS)
	var last *corev1.Pod
	check := func(p *corev1.Pod) (bool, error) {
		last = p
		return cond(p)
	}
	notFound := apierrors.NewNotFound(corev1.Resource("pods"), name)
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{},
		func(store cache.Store) (bool, error) {
			obj, ok, err := store.GetByKey(namespace + "/" + name)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, notFound
			}
			return check(obj.(*corev1.Pod))
		},
		func(ev watch.Event) (bool, error) {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || p.Name != name || p.Namespace != namespace {
				return false, nil // the selector is the server's to apply
			}
			if ev.Type == watch.Deleted {
				return false, notFound
			}
			return check(p)
		})
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
		if why := pending(last); why != "" {
			err = fmt.Errorf("%w (%s)", err, why)
		}
	}
	return last, err
}

package pods

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/pager"
)

// Selection names the pods a built-in works in, as kubectl exec and cp
// name them: one pod by name, or the pods a label selector matches, in one
// namespace, and a container of each (empty: the pod's default).
type Selection struct {
	Namespace string
	Pod       string
	Selector  string
	Container string
}

// Validate reports what is wrong with s: no namespace, both or neither of
// a pod name and a selector, a selector that does not parse.
func (s Selection) Validate() error {
	var errs []error
	if s.Namespace == "" {
		errs = append(errs, errors.New("a namespace is needed (-n)"))
	}
	switch {
	case s.Pod != "" && s.Selector != "":
		errs = append(errs, fmt.Errorf("name a pod (%s) or select pods (-l %s), not both", s.Pod, s.Selector))
	case s.Pod == "" && s.Selector == "":
		errs = append(errs, errors.New("name a pod or select pods with -l SELECTOR"))
	case s.Selector != "":
		if _, err := labels.Parse(s.Selector); err != nil {
			errs = append(errs, fmt.Errorf("selector %q: %w", s.Selector, err))
		}
	}
	return errors.Join(errs...)
}

// ErrNoPods is the error of a selection that matches no pod.
var ErrNoPods = errors.New("no pods")

// Select returns the pods of s, sorted by name. A named pod that does not
// exist and a selector that matches no pod are errors (the latter wraps
// ErrNoPods). The pods are returned whatever their phase: see Target.
func (c Client) Select(ctx context.Context, s Selection) ([]corev1.Pod, error) {
	if s.Pod != "" {
		p, err := c.CS.CoreV1().Pods(s.Namespace).Get(ctx, s.Pod, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("pod %s/%s does not exist: %w", s.Namespace, s.Pod, err)
			}
			return nil, fmt.Errorf("getting pod %s/%s: %w", s.Namespace, s.Pod, err)
		}
		return []corev1.Pod{*p}, nil
	}
	var out []corev1.Pod
	err := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CS.CoreV1().Pods(s.Namespace).List(ctx, opts)
	}).EachListItem(ctx, metav1.ListOptions{LabelSelector: s.Selector}, func(obj runtime.Object) error {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return fmt.Errorf("unexpected item type %T", obj)
		}
		out = append(out, *p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing pods of %s in %s: %w", s.Selector, s.Namespace, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s match %s", ErrNoPods, s.Namespace, s.Selector)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DefaultContainerAnnotation names the container kubectl picks when none
// is named.
const DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// ErrNotRunning is the error of a pod or container that is not running,
// so nothing can run in it.
var ErrNotRunning = errors.New("not running")

// Target picks the container of pod to work in: the one named, else the
// one the pod's DefaultContainerAnnotation names, else its first
// container, as kubectl does. A container the pod does not have is an
// error; so is a pod or container that is not running (wrapping
// ErrNotRunning).
func Target(pod *corev1.Pod, name string) (Container, error) {
	c := Container{Namespace: pod.Namespace, Pod: pod.Name, Name: name}
	if c.Name == "" {
		c.Name = pod.Annotations[DefaultContainerAnnotation]
	}
	if c.Name == "" && len(pod.Spec.Containers) > 0 {
		c.Name = pod.Spec.Containers[0].Name
	}
	found := false
	for _, ct := range pod.Spec.Containers {
		found = found || ct.Name == c.Name
	}
	if !found {
		return c, fmt.Errorf("pod %s/%s has no container %q", pod.Namespace, pod.Name, c.Name)
	}
	if pod.Status.Phase != corev1.PodRunning {
		return c, fmt.Errorf("pod %s/%s is %s: %w", pod.Namespace, pod.Name, pod.Status.Phase, ErrNotRunning)
	}
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == c.Name && st.State.Running == nil {
			return c, fmt.Errorf("container %s of pod %s/%s: %w", c.Name, pod.Namespace, pod.Name, ErrNotRunning)
		}
	}
	return c, nil
}

// Ended reports a pod that has ended (succeeded or failed): with a
// selector, such pods (a Job's) are passed over rather than failed.
func Ended(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// Each calls fn for each pod, at most parallel at once, and returns what
// they returned, joined, in the pods' order. Every call runs: one pod's
// failure does not stop the others.
func Each(ctx context.Context, list []corev1.Pod, parallel int, fn func(context.Context, *corev1.Pod) error) error {
	errs := make([]error, len(list))
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(ctx, &list[i])
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

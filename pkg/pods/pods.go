package pods

import (
	"context"
	"errors"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/cluster"
)

// Client does the pod plumbing against one cluster.
type Client struct {
	CS kubernetes.Interface
	// Config is what exec connects with (the rest needs only CS).
	Config *rest.Config
}

// ClientFor is the Client of a cluster access: its clientset and the
// configuration exec connects with.
func ClientFor(access *cluster.Access) (Client, error) {
	cfg, err := access.Config()
	if err != nil {
		return Client{}, err
	}
	cs, err := access.Kube()
	if err != nil {
		return Client{}, err
	}
	return Client{CS: cs, Config: cfg}, nil
}

// Container names a container of a pod.
type Container struct {
	Namespace, Pod, Name string
}

// Create creates pod in its namespace. The error is the API's as it is:
// callers classify it (apierrors.IsForbidden, ...) and say what they were
// doing.
func (c Client) Create(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	return c.CS.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
}

// DeleteTimeout bounds Delete.
const DeleteTimeout = 30 * time.Second

// Delete deletes a pod at once (no grace period). It is cleanup, so it
// goes on when ctx is done (an interrupted run still removes its pods),
// within DeleteTimeout.
func (c Client) Delete(ctx context.Context, namespace, name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DeleteTimeout)
	defer cancel()
	return c.CS.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
}

// Pipe runs write, which writes a stream (an exec's stdout), and hands what
// it writes to read as it comes. It returns what both say; when read stops
// early, the stream is closed under write, which then ends too.
func Pipe(write func(io.Writer) error, read func(io.Reader) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	readErr := read(pr)
	pr.CloseWithError(readErr)
	return errors.Join(readErr, <-done)
}

// CreatePreferring creates pod with priority class class, or, when the
// cluster forbids that (a quota on critical priority classes, as some
// clusters have outside their system namespaces) but allows the same pod
// without it, without. refused is the refusal of the class when the pod
// went without it.
func (c Client) CreatePreferring(ctx context.Context, pod *corev1.Pod, class string) (created *corev1.Pod, refused, err error) {
	with := pod.DeepCopy()
	with.Spec.PriorityClassName = class
	created, err = c.Create(ctx, with)
	if !apierrors.IsForbidden(err) {
		return created, nil, err
	}
	refused = err
	created, err = c.Create(ctx, pod)
	if err != nil {
		return nil, nil, err
	}
	return created, refused, nil
}

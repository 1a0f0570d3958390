package pods

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func testPod(name string, labels map[string]string, phase corev1.PodPhase, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: labels}, Status: corev1.PodStatus{Phase: phase}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	}
	return p
}

func TestSelectionValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       Selection
		wantErr bool
	}{
		{name: "a pod", s: Selection{Namespace: "ns", Pod: "p"}},
		{name: "a selector", s: Selection{Namespace: "ns", Selector: "app=etcd,tier in (a,b)"}},
		{name: "no namespace", s: Selection{Pod: "p"}, wantErr: true},
		{name: "both", s: Selection{Namespace: "ns", Pod: "p", Selector: "app=x"}, wantErr: true},
		{name: "neither", s: Selection{Namespace: "ns"}, wantErr: true},
		{name: "a selector that does not parse", s: Selection{Namespace: "ns", Selector: "app=(x"}, wantErr: true},
	}
	for _, tc := range tests {
		if err := tc.s.Validate(); (err != nil) != tc.wantErr {
			t.Errorf("%s: Validate() = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset(
		testPod("etcd-b", map[string]string{"app": "etcd"}, corev1.PodRunning, "etcd"),
		testPod("etcd-a", map[string]string{"app": "etcd"}, corev1.PodRunning, "etcd"),
		testPod("web", map[string]string{"app": "web"}, corev1.PodRunning, "web"),
	)
	c := Client{CS: cs}
	tests := []struct {
		name    string
		s       Selection
		want    []string
		wantErr error
	}{
		{name: "by name", s: Selection{Namespace: "ns", Pod: "web"}, want: []string{"web"}},
		{name: "by selector, sorted", s: Selection{Namespace: "ns", Selector: "app=etcd"}, want: []string{"etcd-a", "etcd-b"}},
		{name: "a pod that does not exist", s: Selection{Namespace: "ns", Pod: "gone"}},
		{name: "a selector that matches nothing", s: Selection{Namespace: "ns", Selector: "app=none"}, wantErr: ErrNoPods},
		{name: "another namespace", s: Selection{Namespace: "other", Selector: "app=etcd"}, wantErr: ErrNoPods},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := c.Select(t.Context(), tc.s)
			if tc.want == nil {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("Select() = %d pods, %v; want error %v", len(list), err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range list {
				got = append(got, p.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	annotated := testPod("p", nil, corev1.PodRunning, "sidecar", "main")
	annotated.Annotations = map[string]string{DefaultContainerAnnotation: "main"}
	waiting := testPod("p", nil, corev1.PodRunning, "main", "crashing")
	waiting.Status.ContainerStatuses[1].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	tests := []struct {
		name        string
		pod         *corev1.Pod
		container   string
		want        string
		wantErr     bool
		wantRunning bool // the error wraps ErrNotRunning
	}{
		{name: "the first container", pod: testPod("p", nil, corev1.PodRunning, "a", "b"), want: "a"},
		{name: "the one named", pod: testPod("p", nil, corev1.PodRunning, "a", "b"), container: "b", want: "b"},
		{name: "the default-container annotation", pod: annotated, want: "main"},
		{name: "named over the annotation", pod: annotated, container: "sidecar", want: "sidecar"},
		{name: "no such container", pod: testPod("p", nil, corev1.PodRunning, "a"), container: "nope", wantErr: true},
		{name: "a pod not running", pod: testPod("p", nil, corev1.PodPending, "a"), wantErr: true, wantRunning: true},
		{name: "a pod that ended", pod: testPod("p", nil, corev1.PodSucceeded, "a"), wantErr: true, wantRunning: true},
		{name: "a container not running", pod: waiting, container: "crashing", wantErr: true, wantRunning: true},
		{name: "the running one of that pod", pod: waiting, want: "main"},
	}
	for _, tc := range tests {
		got, err := Target(tc.pod, tc.container)
		if (err != nil) != tc.wantErr || errors.Is(err, ErrNotRunning) != tc.wantRunning {
			t.Errorf("%s: Target() error %v, want error %v (not running %v)", tc.name, err, tc.wantErr, tc.wantRunning)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(Container{Namespace: "ns", Pod: "p", Name: tc.want}, got); diff != "" {
			t.Errorf("%s: container (-want +got):\n%s", tc.name, diff)
		}
	}
}

// Each runs every call, at most parallel at once, and joins what failed in
// the pods' order.
func TestEach(t *testing.T) {
	t.Parallel()
	var list []corev1.Pod
	for i := range 9 {
		list = append(list, *testPod(fmt.Sprintf("p%d", i), nil, corev1.PodRunning, "c"))
	}
	var now, most, calls atomic.Int32
	err := Each(t.Context(), list, 3, func(_ context.Context, p *corev1.Pod) error {
		calls.Add(1)
		n := now.Add(1)
		defer now.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if p.Name == "p2" || p.Name == "p7" {
			return errors.New(p.Name + " failed")
		}
		return nil
	})
	if calls.Load() != 9 || most.Load() > 3 {
		t.Errorf("%d calls, at most %d at once; want 9, at most 3", calls.Load(), most.Load())
	}
	if diff := cmp.Diff("p2 failed\np7 failed", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

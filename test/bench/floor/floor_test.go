package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/restmapper"
)

func TestPickTypes(t *testing.T) {
	t.Parallel()
	list := []string{"get", "list", "watch"}
	groups := []*restmapper.APIGroupResources{
		{
			Group: metav1.APIGroup{Name: "", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{"v1": {
				{Name: "pods", Namespaced: true, Verbs: list},
				{Name: "pods/log", Namespaced: true, Verbs: []string{"get"}},
				{Name: "nodes", Namespaced: false, Verbs: list},
				{Name: "bindings", Namespaced: true, Verbs: []string{"create"}},
				{Name: "events", Namespaced: true, Verbs: list},
			}},
		},
		{
			Group:              metav1.APIGroup{Name: "events.k8s.io", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{"v1": {{Name: "events", Namespaced: true, Verbs: list}}},
		},
		{
			Group: metav1.APIGroup{Name: "bench.mgtk.io", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"}},
			VersionedResources: map[string][]metav1.APIResource{
				"v1":      {{Name: "widgets", Namespaced: true, Verbs: list}},
				"v1beta1": {{Name: "widgets", Namespaced: true, Verbs: list}, {Name: "gadgets", Namespaced: true, Verbs: list}},
			},
		},
	}
	want := []schema.GroupVersionResource{
		{Group: "", Version: "v1", Resource: "events"},
		{Group: "", Version: "v1", Resource: "pods"},
		{Group: "bench.mgtk.io", Version: "v1", Resource: "widgets"},
	}
	if diff := cmp.Diff(want, pickTypes(groups)); diff != "" {
		t.Errorf("pickTypes (-want +got):\n%s", diff)
	}
}

func TestListPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		gvr  schema.GroupVersionResource
		want string
	}{
		{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "/api/v1/namespaces/ns1/configmaps"},
		{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "/apis/apps/v1/namespaces/ns1/deployments"},
	}
	for _, tt := range tests {
		if got := listPath(tt.gvr, "ns1"); got != tt.want {
			t.Errorf("listPath(%v) = %q, want %q", tt.gvr, got, tt.want)
		}
	}
}

func TestPodLogs(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	done := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	tests := []struct {
		name string
		pod  corev1.Pod
		want []containerLog
	}{
		{
			name: "running, never restarted",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: running}}},
			},
			want: []containerLog{{Container: "app"}},
		},
		{
			name: "restarted: current and previous; an init container that ended",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init"}}, Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{
					InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: done}},
					ContainerStatuses:     []corev1.ContainerStatus{{Name: "app", State: running, RestartCount: 1}},
				},
			},
			want: []containerLog{{Container: "init"}, {Container: "app"}, {Container: "app", Previous: true}},
		},
		{
			name: "waiting to restart: the last run's log is current",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: waiting,
					LastTerminationState: done}}},
			},
			want: []containerLog{{Container: "app"}, {Container: "app", Previous: true}},
		},
		{
			name: "never created, or creating: no log",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "b", State: waiting}}},
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, podLogs(&tt.pod)); diff != "" {
				t.Errorf("podLogs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRefusesUsageErrors(t *testing.T) {
	t.Parallel()
	var o options
	err := o.parse([]string{"--parallel", "0", "--chunk-size", "0"})
	if err == nil {
		t.Fatal("no error for no namespace, --parallel 0 and --chunk-size 0")
	}
	for _, want := range []string{"namespace", "--parallel", "--chunk-size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

package inspect

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestFailing(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	tests := []struct {
		name string
		pod  corev1.PodStatus
		want bool
	}{
		{name: "running and ready", pod: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running}}, want: false},
		{name: "succeeded", pod: corev1.PodStatus{Phase: corev1.PodSucceeded}, want: false},
		{name: "failed", pod: corev1.PodStatus{Phase: corev1.PodFailed}, want: true},
		{name: "unknown", pod: corev1.PodStatus{Phase: corev1.PodUnknown}, want: true},
		{name: "pending", pod: corev1.PodStatus{Phase: corev1.PodPending}, want: true},
		{name: "restarted", pod: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 2, State: running.State}}}, want: true},
		{name: "crash loop", pod: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}, want: true},
		{name: "starting", pod: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}, want: false},
		{name: "sidecar ended badly", pod: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running, {State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137}}}}}, want: true},
		{name: "init container restarted", pod: corev1.PodStatus{Phase: corev1.PodRunning, InitContainerStatuses: []corev1.ContainerStatus{{RestartCount: 1}}}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Failing(&corev1.Pod{Status: tc.pod}); got != tc.want {
				t.Errorf("Failing() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	var errs []error
	for i := 0; i < 25; i++ {
		errs = append(errs, fmt.Errorf("e%d", i))
	}
	got := summarize(errs).Error()
	if !strings.Contains(got, "e19") || strings.Contains(got, "e20") || !strings.HasSuffix(got, "and 5 more errors (all in the log)]") {
		t.Errorf("summarize(25 errors) = %q", got)
	}
	if summarize(nil) != nil {
		t.Error("summarize(nil) != nil")
	}
}

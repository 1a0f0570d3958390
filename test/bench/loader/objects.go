package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/must-gather/toolkit/test/bench"
)

// The objects of the workload: deterministic names (so a second load finds
// them), realistic shapes (labels, annotations, a few keys of data that do
// not repeat).

// restartAnnotation marks the pods that exit once before they run.
const restartAnnotation = "bench.must-gather.io/restart-once"

func meta(set bench.Set, ns, name, app string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: loaderLabels(set, map[string]string{
		"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "bench", "app.kubernetes.io/managed-by": "loader",
	})}
}

func randText(r *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789 =.-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// configMap has about size bytes of data, as a configuration file.
func configMap(set bench.Set, ns string, j, size int, r *rand.Rand) *corev1.ConfigMap {
	var sb strings.Builder
	for k := 0; sb.Len() < size; k++ {
		line := fmt.Sprintf("setting.%d = %s\n", k, randText(r, 40))
		sb.WriteString(line[:min(len(line), size-sb.Len())])
	}
	return &corev1.ConfigMap{ObjectMeta: meta(set, ns, fmt.Sprintf("config-%05d", j), "config"),
		Data: map[string]string{"application.properties": sb.String()}}
}

func secret(set bench.Set, ns string, j int, r *rand.Rand) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: meta(set, ns, fmt.Sprintf("secret-%05d", j), "secret"), Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"username": []byte("user-" + randText(r, 8)), "password": []byte(randText(r, 32))}}
}

// service is headless: the test cluster's Service range is a /24.
func service(set bench.Set, ns string, j int) *corev1.Service {
	app := fmt.Sprintf("app-%05d", j)
	return &corev1.Service{ObjectMeta: meta(set, ns, fmt.Sprintf("svc-%05d", j), app), Spec: corev1.ServiceSpec{
		ClusterIP: corev1.ClusterIPNone,
		Selector:  map[string]string{"app.kubernetes.io/name": app},
		Ports:     []corev1.ServicePort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}},
	}}
}

// deployment has no replicas: its ReplicaSet exists, no pod runs.
func deployment(set bench.Set, ns string, j int) *appsv1.Deployment {
	app := fmt.Sprintf("app-%05d", j)
	labels := map[string]string{"app.kubernetes.io/name": app}
	return &appsv1.Deployment{ObjectMeta: meta(set, ns, fmt.Sprintf("deploy-%05d", j), app), Spec: appsv1.DeploymentSpec{
		Replicas: new(int32),
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/bench/app:1.0", Args: []string{"--port=8080", "--log-level=info"},
				Env:   []corev1.EnvVar{{Name: "APP_NAME", Value: app}, {Name: "APP_MODE", Value: "production"}},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")}},
			}}},
		},
	}}
}

func widget(set bench.Set, ns string, j int, r *rand.Rand) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": bench.CRDGroup + "/" + bench.CRDVersion, "kind": bench.CRDKind,
		"metadata": map[string]any{"name": fmt.Sprintf("widget-%05d", j), "namespace": ns,
			"labels": map[string]any{bench.LoaderLabel: string(set)}},
		"spec": map[string]any{"size": int64(r.IntN(100)), "color": randText(r, 12), "replicas": int64(1 + r.IntN(5)),
			"selector": map[string]any{"app.kubernetes.io/name": fmt.Sprintf("app-%05d", j)}},
	}}
}

func event(set bench.Set, ns string, j int) *corev1.Event {
	now := metav1.NewTime(time.Now())
	kind, reason, typ := "ConfigMap", "Updated", corev1.EventTypeNormal
	if j%5 == 0 {
		kind, reason, typ = "Deployment", "FailedCreate", corev1.EventTypeWarning
	}
	name := fmt.Sprintf("object-%05d", j)
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("bench-event-%05d", j), Namespace: ns, Labels: loaderLabels(set, nil)},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name, APIVersion: "v1"},
		Reason:         reason, Type: typ, Count: int32(1 + j%7),
		Message:        fmt.Sprintf("%s %s/%s: reconciled by the benchmark's loader (attempt %d)", reason, kind, name, 1+j%7),
		Source:         corev1.EventSource{Component: "bench-loader"},
		FirstTimestamp: now, LastTimestamp: now,
	}
}

// logPod runs the log writer on the real node; restarted: it exits once
// after writing, so the container restarts and a previous log exists.
func logPod(set bench.Set, ns string, j int, node, image string, logBytes int, restarted bool) *corev1.Pod {
	args := []string{"--bytes", fmt.Sprint(logBytes)}
	gracePeriod := int64(1) // the log writer stops at once on SIGTERM
	m := meta(set, ns, fmt.Sprintf("logger-%03d", j), "logger")
	m.Annotations = map[string]string{restartAnnotation: fmt.Sprint(restarted)}
	if restarted {
		args = append(args, "--fail-first", "/state/ran")
	}
	return &corev1.Pod{ObjectMeta: m, Spec: corev1.PodSpec{
		NodeName:                      node, // as the harness's test pods: its hostname label is the host's
		TerminationGracePeriodSeconds: &gracePeriod,
		Containers: []corev1.Container{{
			Name: "logger", Image: image, ImagePullPolicy: corev1.PullNever,
			Command: []string{"/usr/bin/logwriter"}, Args: args,
			VolumeMounts: []corev1.VolumeMount{{Name: "state", MountPath: "/state"}},
		}},
		Volumes: []corev1.Volume{{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}}
}

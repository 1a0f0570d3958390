package mustgather

import (
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/pkg/pods"
)

// Container names of a gather pod, as oc names them.
const (
	gatherContainer = "gather"
	copyContainer   = "copy"
	outputVolume    = "must-gather-output"
)

// gatherPriority is the priority class of a gather pod, as oc gives it:
// the kubelet admits a critical pod on a node under disk pressure.
const gatherPriority = "system-cluster-critical"

// copyMargin is what the gather leaves of the run's time for copying its
// result back: a fifth of the timeout, between 30 s and 2 min.
func copyMargin(timeout time.Duration) time.Duration {
	return min(max(timeout/5, 30*time.Second), 2*time.Minute)
}

// TimeoutEnv names the gather's deadline in the gather container.
const TimeoutEnv = "MUST_GATHER_TIMEOUT"

// ours says whether image is the one this build belongs to: it carries the
// gather binary, which knows our flags and writes a tar without tar.
func (o *Options) ours(image string) bool { return image != "" && image == o.OwnImage }

// gatherCommand is the command of the gather container: the one asked for;
// our own gather with its defaults also gets the source directory, its
// own volume guard and a deadline that leaves time for the copy. Another
// image's command runs under the guard script (bash, df and awk, which
// oc's wrapper also needs of an image).
func (o *Options) gatherCommand(image string) []string {
	if !o.ours(image) {
		return o.guarded(o.Command)
	}
	if len(o.Command) != 1 || o.Command[0] != DefaultCommand {
		return o.Command
	}
	budget := o.Timeout - copyMargin(o.Timeout)
	return []string{DefaultCommand,
		"--dest-dir", path.Clean(o.SourceDir),
		"--volume-percentage", strconv.Itoa(o.VolumePercentage),
		"--timeout", budget.String(),
	}
}

// copyCommand keeps the copy container up until the pod is deleted.
func (o *Options) copyCommand(image string) []string {
	if o.ours(image) {
		return []string{DefaultCommand, "node-agent", "wait"}
	}
	return []string{"/bin/bash", "-c", "trap : TERM INT; sleep infinity & wait"}
}

// stopCommand, run in the gather container, asks its main process (PID
// 1: our gather, or the guard script) to stop.
func (o *Options) stopCommand(image string) []string {
	if o.ours(image) {
		return []string{DefaultCommand, "node-agent", "stop", "1"}
	}
	return []string{"/bin/bash", "-c", "kill -TERM 1"}
}

// tarCommand writes a tar of the source directory to stdout in the copy
// container.
func (o *Options) tarCommand(image string) []string {
	if o.ours(image) {
		return []string{DefaultCommand, "node-agent", "tar", path.Clean(o.SourceDir)}
	}
	return pods.TarCommand(path.Clean(o.SourceDir))
}

// gatherPod is the pod that runs image, on node when not empty (without
// its priority class, which the creation adds when the cluster allows it).
func (o *Options) gatherPod(namespace, serviceAccount, image, node string) *corev1.Pod {
	env := []corev1.EnvVar{
		{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
	}
	for _, kv := range append(o.window.Env(), o.Limits.Env()...) {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	// The gather's share of the run's time, leaving the copy its margin:
	// our gather takes it as its --timeout; other images may read it.
	env = append(env, corev1.EnvVar{Name: TimeoutEnv, Value: (o.Timeout - copyMargin(o.Timeout)).String()})
	mount := []corev1.VolumeMount{{Name: outputVolume, MountPath: path.Clean(o.SourceDir)}}
	// The pod dies on its own after the run's time, even when the client
	// is killed and cannot delete it.
	deadline := int64((o.Timeout + time.Minute).Seconds())
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "must-gather-",
			Namespace:    namespace,
			// Not tempns.RunLabel: our gather's debug pods, in this
			// namespace, sweep pods of other runs carrying it. The pod goes
			// with the run's namespace.
			Labels: map[string]string{"app": "must-gather"},
		},
		Spec: corev1.PodSpec{
			ServiceAccountName:            serviceAccount,
			NodeName:                      node,
			HostNetwork:                   o.HostNetwork,
			NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: new(int64),
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{
				{
					Name:            gatherContainer,
					Image:           image,
					ImagePullPolicy: corev1.PullIfNotPresent,
					Command:         o.gatherCommand(image),
					Env:             env,
					VolumeMounts:    mount,
				},
				{
					Name:            copyContainer,
					Image:           image,
					ImagePullPolicy: corev1.PullIfNotPresent,
					Command:         o.copyCommand(image),
					VolumeMounts:    mount,
				},
			},
			Volumes: []corev1.Volume{{Name: outputVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
	if o.HostNetwork {
		// On the host's network a gather may want to capture packets: as oc
		// gives it, CAP_NET_RAW and no more.
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_RAW"}}}
	}
	return p
}

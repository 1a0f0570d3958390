package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/test/clustertest"
)

// ocGatherCommand is the shape of the gather container's command line that
// `oc adm must-gather` uses: it looks for setsid, ps and pkill, starts its
// disk-usage checker (df, awk, sed, sleep) in the background, runs
// /usr/bin/gather (in its own session when it can), then syncs.
const ocGatherCommand = `if command -v setsid >/dev/null 2>&1 && command -v ps >/dev/null 2>&1 && command -v pkill >/dev/null 2>&1; then
  HAVE_SESSION_TOOLS=true
else
  HAVE_SESSION_TOOLS=false
fi
echo "session tools: $HAVE_SESSION_TOOLS"

checker() {
  while true; do
    usage=$(df -P /must-gather | awk 'NR==2 {print $5}' | sed 's/%//')
    echo "[disk usage checker] Volume usage percentage: current = ${usage} ; allowed = 100"
    if [ "$usage" -gt 100 ]; then exit 1; fi
    sleep 5
  done
}
checker & if [ "$HAVE_SESSION_TOOLS" = "true" ]; then
  setsid -w bash <<-MUSTGATHER_EOF
/usr/bin/gather
MUSTGATHER_EOF
else
  /usr/bin/gather
fi; sync && echo 'Caches written to disk'`

// The image as the default image of `oc adm must-gather`: a gather
// container with oc's command line and a copy container kept alive with
// oc's sleep, sharing /must-gather; the result is copied out with tar over
// exec, as `oc rsync` falls back to. Run by hack/image-test.sh, which builds
// the image and either loads it into the node itself (`make
// cluster-load-image` as documented) or names its archive (IMAGE_ARCHIVE),
// and says which branch of oc's command line the image takes
// (IMAGE_SESSION_TOOLS: whether it has setsid, ps, pkill).
func TestImageAsOcMustGather(t *testing.T) {
	archive, ref, tools := os.Getenv("IMAGE_ARCHIVE"), os.Getenv("IMAGE_REF"), os.Getenv("IMAGE_SESSION_TOOLS")
	if ref == "" {
		t.Skip("IMAGE_REF and IMAGE_SESSION_TOOLS (and IMAGE_ARCHIVE, unless the image is on the node) are set by hack/image-test.sh, which runs this test")
	}
	if tools == "" {
		t.Fatal("IMAGE_REF is set, but not IMAGE_SESSION_TOOLS")
	}
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	planted := plantSecret(t)
	if archive != "" {
		clustertest.LoadImage(t, archive)
	}
	cs := clustertest.Client(t)

	vol := []corev1.VolumeMount{{Name: "must-gather-output", MountPath: "/must-gather"}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "must-gather", Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:                      clustertest.NodeName(t),
			PriorityClassName:             "system-cluster-critical",
			RestartPolicy:                 corev1.RestartPolicyNever,
			ServiceAccountName:            clustertest.ServiceAccount(t, ns),
			TerminationGracePeriodSeconds: new(int64),
			Volumes:                       []corev1.Volume{{Name: "must-gather-output", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			Containers: []corev1.Container{
				{Name: "gather", Image: ref, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"/bin/bash", "-c", ocGatherCommand}, VolumeMounts: vol,
					// oc tells the gather its node and pod name: the node
					// collectors find their image in the pod's spec.
					Env: []corev1.EnvVar{
						{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
						{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
					},
					TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError},
				{Name: "copy", Image: ref, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"/bin/bash", "-c", "trap : TERM INT; sleep infinity & wait"}, VolumeMounts: vol},
			},
		},
	}
	createPod(t, pod)
	clustertest.WaitForPod(t, ns, "must-gather", 3*time.Minute, func(p *corev1.Pod) bool {
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == "gather" && s.State.Terminated != nil {
				return true
			}
		}
		return false
	})
	p, err := cs.CoreV1().Pods(ns).Get(t.Context(), "must-gather", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log := clustertest.Logs(t, ns, "must-gather", "gather")
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == "gather" && s.State.Terminated.ExitCode != 0 {
			t.Fatalf("gather container exited %d:\n%s", s.State.Terminated.ExitCode, log)
		}
	}
	for _, want := range []string{"session tools: " + tools, "[disk usage checker] Volume usage percentage", "Caches written to disk", "result in /must-gather"} {
		if !strings.Contains(log, want) {
			t.Errorf("gather container log lacks %q:\n%s", want, log)
		}
	}

	// Copy /must-gather out of the copy container: tar over exec.
	got := clustertest.Untar(t, clustertest.Exec(t, ns, "must-gather", "copy", "tar", "-cf", "-", "-C", "/must-gather", "."))
	if v := string(got["version"]); !strings.HasPrefix(v, "must-gather-toolkit\n") {
		t.Errorf("copied version file = %q", v)
	}
	if m := string(got["gather-manifest.json"]); !strings.Contains(m, `"status": "ok"`) || !strings.Contains(m, `"gatherDir": "installed /usr/share/gather/gather.d"`) {
		t.Errorf("copied manifest: %.600s", m)
	}
	// The node collectors ran their debug pods on the gather's own image.
	var m steps.Manifest
	if err := json.Unmarshal(got["gather-manifest.json"], &m); err != nil {
		t.Fatalf("copied manifest: %v", err)
	}
	for _, st := range m.Steps {
		if strings.Contains(st.Command, "audit-logs") || strings.Contains(st.Command, "node-logs") {
			if len(st.Nodes) != 1 || st.Nodes[0].Path != nodes.PathDebugPod {
				t.Errorf("%s: nodes %+v, want %s read through a debug pod", st.Command, st.Nodes, clustertest.NodeName(t))
			}
		}
	}
	if !strings.Contains(string(got["namespaces/kube-system/core/secrets.yaml"]), "planted-") {
		t.Error("the planted Secret (redacted) is not in the copied kube-system secrets.yaml: the leak check proves nothing")
	}
	assertNoLeakDeep(t, got, planted)
	if _, ok := got["namespaces/kube-system/kube-system.yaml"]; !ok {
		t.Errorf("copied %d files, without namespaces/kube-system/kube-system.yaml", len(got))
	}
}

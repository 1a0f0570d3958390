package analyze

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// checkNode reports a node not Ready or under pressure, and says whether
// it is Ready.
func (a *analysis) checkNode(p string, n *corev1.Node) bool {
	obj := []Object{{Kind: "Node", Name: n.Name}}
	ready := false
	for _, c := range n.Status.Conditions {
		switch c.Type {
		case corev1.NodeReady:
			ready = c.Status == corev1.ConditionTrue
			if !ready {
				a.add(Finding{Severity: Critical, Check: "node-not-ready", Objects: obj, Files: []string{p},
					Title:   fmt.Sprintf("node %s is NotReady (Ready=%s, %s)", n.Name, c.Status, c.Reason),
					Message: c.Message})
			}
		case corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure:
			if c.Status == corev1.ConditionTrue {
				a.add(Finding{Severity: Warning, Check: "node-pressure", Objects: obj, Files: []string{p},
					Title:   fmt.Sprintf("node %s is under %s", n.Name, c.Type),
					Message: c.Message})
			}
		}
	}
	return ready
}

// imagePullReasons are the waiting reasons of a container whose image
// cannot be had.
var imagePullReasons = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true, "ErrImageNeverPull": true,
}

// checkPod reports crash loops, OOM kills, image pulls, scheduling
// failures and evictions.
func (a *analysis) checkPod(p string, pod *corev1.Pod) {
	obj := []Object{{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}}
	id := pod.Namespace + "/" + pod.Name
	if pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted" {
		a.add(Finding{Severity: Warning, Check: "pod-evicted", Objects: obj, Files: []string{p},
			Title: fmt.Sprintf("pod %s was evicted", id), Message: pod.Status.Message})
	}
	if pod.Status.Phase == corev1.PodPending {
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				a.add(Finding{Severity: Warning, Check: "pod-unschedulable", Objects: obj, Files: []string{p},
					Title:   fmt.Sprintf("pod %s is pending: %s", id, cmp.Or(c.Reason, "not scheduled")),
					Message: c.Message})
			}
		}
	}
	statuses := append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...)
	for _, s := range statuses {
		who := fmt.Sprintf("container %s of pod %s", s.Name, id)
		if t := s.State.Terminated; t != nil && s.RestartCount > 0 && restarts(pod, s.Name, t.ExitCode) {
			// The kubelet writes CrashLoopBackOff only when it syncs the pod
			// during the back-off; a status written when the container ended
			// keeps it terminated until the next start, however long the
			// back-off (seen on a 1.37 kubelet for whole 30 s back-offs).
			a.add(Finding{Severity: Critical, Check: "pod-crashloop", Objects: obj, Files: []string{p},
				Title:   fmt.Sprintf("%s is crash-looping (%d restarts)", who, s.RestartCount),
				Message: exitOf(t) + ", to be restarted"})
		}
		if w := s.State.Waiting; w != nil {
			switch {
			case w.Reason == "CrashLoopBackOff":
				a.add(Finding{Severity: Critical, Check: "pod-crashloop", Objects: obj, Files: []string{p},
					Title:   fmt.Sprintf("%s is crash-looping (%d restarts)", who, s.RestartCount),
					Message: lastExit(s)})
			case imagePullReasons[w.Reason]:
				a.add(Finding{Severity: Warning, Check: "pod-image-pull", Objects: obj, Files: []string{p},
					Title:   fmt.Sprintf("%s is stuck pulling its image %s (%s)", who, s.Image, w.Reason),
					Message: w.Message})
			}
		}
		oom := s.State.Terminated
		if oom == nil || oom.Reason != "OOMKilled" {
			oom = s.LastTerminationState.Terminated
		}
		if oom != nil && oom.Reason == "OOMKilled" {
			a.add(Finding{Severity: Warning, Check: "pod-oomkilled", Objects: obj, Files: []string{p},
				Title:   fmt.Sprintf("%s was OOMKilled (exit code %d, %d restarts)", who, oom.ExitCode, s.RestartCount),
				Message: limitOf(pod, s.Name)})
		}
	}
}

// lastExit says how the last run of a crash-looping container ended.
func lastExit(s corev1.ContainerStatus) string {
	t := s.LastTerminationState.Terminated
	if t == nil {
		return ""
	}
	return exitOf(t)
}

func exitOf(t *corev1.ContainerStateTerminated) string {
	msg := fmt.Sprintf("last exit code %d (%s)", t.ExitCode, t.Reason)
	if t.Message != "" {
		msg += ": " + t.Message
	}
	return msg
}

// restarts says whether the kubelet starts a pod's container again after
// it ended with exitCode: by the container's own restart policy (a
// sidecar's Always) or else the pod's, where an init container that
// succeeded is done. A pod that ended or is being deleted starts nothing.
func restarts(pod *corev1.Pod, name string, exitCode int32) bool {
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	policy := cmp.Or(pod.Spec.RestartPolicy, corev1.RestartPolicyAlways) // the API's default
	for i, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if c.Name != name {
			continue
		}
		switch {
		case c.RestartPolicy != nil:
			policy = corev1.RestartPolicy(*c.RestartPolicy)
		case i < len(pod.Spec.InitContainers) && policy == corev1.RestartPolicyAlways:
			policy = corev1.RestartPolicyOnFailure
		}
		break
	}
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// limitOf names the memory limit of a container.
func limitOf(pod *corev1.Pod, name string) string {
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if c.Name == name {
			if l, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
				return "memory limit " + l.String()
			}
			return "no memory limit"
		}
	}
	return ""
}

func (a *analysis) checkDeployment(p string, d *appsv1.Deployment) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	have := d.Status.AvailableReplicas
	if have >= want {
		return
	}
	sev := Warning
	if have == 0 {
		sev = Critical
	}
	var msg []string
	for _, c := range d.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			msg = append(msg, fmt.Sprintf("%s: %s", c.Type, c.Message))
		}
	}
	a.add(Finding{Severity: sev, Check: "deployment-replicas",
		Objects: []Object{{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name}}, Files: []string{p},
		Title:   fmt.Sprintf("deployment %s/%s has %d of %d replicas available", d.Namespace, d.Name, have, want),
		Message: strings.Join(msg, "; ")})
}

func (a *analysis) checkDaemonSet(p string, d *appsv1.DaemonSet) {
	want, have := d.Status.DesiredNumberScheduled, d.Status.NumberAvailable
	if have >= want {
		return
	}
	sev := Warning
	if have == 0 {
		sev = Critical
	}
	a.add(Finding{Severity: sev, Check: "daemonset-replicas",
		Objects: []Object{{Kind: "DaemonSet", Namespace: d.Namespace, Name: d.Name}}, Files: []string{p},
		Title: fmt.Sprintf("daemonset %s/%s has %d of %d pods available (%d unavailable, %d misscheduled)",
			d.Namespace, d.Name, have, want, d.Status.NumberUnavailable, d.Status.NumberMisscheduled)})
}

func (a *analysis) checkPVC(p string, c *corev1.PersistentVolumeClaim) {
	if c.Status.Phase != corev1.ClaimPending && c.Status.Phase != corev1.ClaimLost {
		return
	}
	sev := Warning
	if c.Status.Phase == corev1.ClaimLost {
		sev = Critical
	}
	class := "the default storage class"
	if c.Spec.StorageClassName != nil {
		class = "storage class " + *c.Spec.StorageClassName
	}
	a.add(Finding{Severity: sev, Check: "pvc-" + strings.ToLower(string(c.Status.Phase)),
		Objects: []Object{{Kind: "PersistentVolumeClaim", Namespace: c.Namespace, Name: c.Name}}, Files: []string{p},
		Title: fmt.Sprintf("persistent volume claim %s/%s is %s (%s)", c.Namespace, c.Name, c.Status.Phase, class)})
}

// clusterOperator is the part of config.openshift.io/v1 ClusterOperator
// the checks read.
type clusterOperator struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Status struct {
		Conditions []struct {
			Type    string `json:"type"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

func (a *analysis) checkClusterOperator(p string, co *clusterOperator) {
	obj := []Object{{Kind: "ClusterOperator", Name: co.Metadata.Name}}
	for _, c := range co.Status.Conditions {
		switch {
		case c.Type == "Available" && c.Status == "False":
			a.add(Finding{Severity: Critical, Check: "clusteroperator-unavailable", Objects: obj, Files: []string{p},
				Title:   fmt.Sprintf("cluster operator %s is not Available (%s)", co.Metadata.Name, c.Reason),
				Message: c.Message})
		case c.Type == "Degraded" && c.Status == "True":
			a.add(Finding{Severity: Critical, Check: "clusteroperator-degraded", Objects: obj, Files: []string{p},
				Title:   fmt.Sprintf("cluster operator %s is Degraded (%s)", co.Metadata.Name, c.Reason),
				Message: c.Message})
		}
	}
}

// webhookRef is one admission webhook that calls a service.
type webhookRef struct {
	file          string
	kind, config  string
	webhook       string
	failurePolicy string
	svcNS, svc    string
}

func (a *analysis) readWebhooks(p string, r resource, raw json.RawMessage) error {
	var cfg struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Webhooks []struct {
			Name          string                          `json:"name"`
			FailurePolicy *admissionv1.FailurePolicyType  `json:"failurePolicy"`
			ClientConfig  admissionv1.WebhookClientConfig `json:"clientConfig"`
		} `json:"webhooks"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	kind := "ValidatingWebhookConfiguration"
	if r.Resource == "mutatingwebhookconfigurations" {
		kind = "MutatingWebhookConfiguration"
	}
	for _, w := range cfg.Webhooks {
		s := w.ClientConfig.Service
		if s == nil {
			continue // a URL: nothing in the bundle says whether it answers
		}
		policy := string(admissionv1.Fail) // the API's default
		if w.FailurePolicy != nil {
			policy = string(*w.FailurePolicy)
		}
		a.webhooks = append(a.webhooks, webhookRef{file: p, kind: kind, config: cfg.Metadata.Name, webhook: w.Name,
			failurePolicy: policy, svcNS: s.Namespace, svc: s.Name})
	}
	return nil
}

// checkWebhooks reports webhooks whose service does not exist or has no
// ready endpoint, when the service's namespace was gathered.
func (a *analysis) checkWebhooks() {
	for _, w := range a.webhooks {
		key := w.svcNS + "/" + w.svc
		if !a.gathered[w.svcNS] || a.endpoints[key] {
			continue
		}
		sev := Critical // failurePolicy Fail: every matching request is refused
		if w.failurePolicy == string(admissionv1.Ignore) {
			sev = Warning
		}
		objs := []Object{{Kind: w.kind, Name: w.config}, {Kind: "Service", Namespace: w.svcNS, Name: w.svc}}
		files := []string{w.file}
		what := "has no ready endpoint"
		if f, ok := a.services[key]; ok {
			files = append(files, f)
		} else {
			what = "does not exist"
		}
		a.add(Finding{Severity: sev, Check: "webhook-no-endpoints", Objects: objs, Files: files,
			Title: fmt.Sprintf("admission webhook %s (%s %s, failurePolicy %s) fails: its service %s %s",
				w.webhook, w.kind, w.config, w.failurePolicy, key, what)})
	}
}

// eventGroup is the Warning events of one object for one reason.
type eventGroup struct {
	object  Object
	reason  string
	message string
	last    string
	count   int
	files   map[string]bool
}

func (a *analysis) addEvent(p string, e *corev1.Event) {
	if e.Type != corev1.EventTypeWarning {
		return
	}
	obj := Object{Kind: e.InvolvedObject.Kind, Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name}
	key := obj.String() + "\x00" + e.Reason
	g := a.events[key]
	if g == nil {
		g = &eventGroup{object: obj, reason: e.Reason, files: map[string]bool{}}
		a.events[key] = g
	}
	n := int(e.Count)
	if e.Series != nil && int(e.Series.Count) > n {
		n = int(e.Series.Count)
	}
	g.count += max(n, 1)
	g.files[p] = true
	when := e.LastTimestamp.UTC().Format("2006-01-02T15:04:05Z")
	if e.Series != nil {
		when = e.Series.LastObservedTime.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	if when >= g.last {
		g.last, g.message = when, e.Message
	}
}

// rankEvents turns the TopEvents largest groups of Warning events into
// findings, ranked by count.
func (a *analysis) rankEvents() {
	groups := slices.Collect(maps.Values(a.events))
	slices.SortFunc(groups, func(x, y *eventGroup) int {
		if c := cmp.Compare(y.count, x.count); c != 0 {
			return c
		}
		return cmp.Compare(x.object.String()+x.reason, y.object.String()+y.reason)
	})
	for i, g := range groups {
		if i == a.o.TopEvents {
			break
		}
		a.add(Finding{Severity: Info, Check: "warning-events", Count: g.count,
			Objects: []Object{g.object}, Files: slices.Sorted(maps.Keys(g.files)),
			Title:   fmt.Sprintf("%d Warning events %s on %s", g.count, g.reason, g.object),
			Message: g.message})
	}
}

package serve

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"
)

// column is one column of a table past NAME; path is set for a column
// read from the object by JSONPath (a CRD's additionalPrinterColumns).
type column struct {
	def  metav1.TableColumnDefinition
	path *jsonpath.JSONPath
}

// cellAt is a cell that depends on when it is shown (an age).
type cellAt interface{ at(now time.Time) any }

// since is an age: the time since t, as kubectl shows it.
type since time.Time

func (s since) at(now time.Time) any {
	if time.Time(s).IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(time.Time(s)))
}

// restarts is the RESTARTS of a pod: the count, and how long ago the last
// one was.
type restarts struct {
	n    int32
	last time.Time
}

func (r restarts) at(now time.Time) any {
	if r.last.IsZero() {
		return strconv.Itoa(int(r.n))
	}
	return fmt.Sprintf("%d (%s ago)", r.n, duration.HumanDuration(now.Sub(r.last)))
}

func col(name, typ string, priority int32, desc string) column {
	return column{def: metav1.TableColumnDefinition{Name: name, Type: typ, Priority: priority, Description: desc}}
}

var ageColumn = col("Age", "string", 0, "the time since the object was created")

// printer makes the cells of a built-in type's row past NAME.
type printer struct {
	columns  []column
	cells    func(obj map[string]any) []any
	nameLast bool
}

// printers are the tables of the types people list most, with the columns
// kubectl shows for them.
func printers() map[schema.GroupResource]printer {
	return map[schema.GroupResource]printer{
		{Resource: "pods"}: {
			columns: []column{col("Ready", "string", 0, "ready containers of all"), col("Status", "string", 0, "the pod's state"),
				col("Restarts", "string", 0, "container restarts"), ageColumn,
				col("IP", "string", 1, "the pod's IP"), col("Node", "string", 1, "the node it runs on")},
			cells: typed(podCells),
		},
		{Resource: "nodes"}: {
			columns: []column{col("Status", "string", 0, "readiness"), col("Roles", "string", 0, "node-role labels"), ageColumn,
				col("Version", "string", 0, "kubelet version"), col("Internal-IP", "string", 1, ""), col("OS-Image", "string", 1, ""),
				col("Kernel-Version", "string", 1, ""), col("Container-Runtime", "string", 1, "")},
			cells: typed(nodeCells),
		},
		{Group: "apps", Resource: "deployments"}: {
			columns: []column{col("Ready", "string", 0, "ready replicas of desired"), col("Up-to-date", "integer", 0, ""),
				col("Available", "integer", 0, ""), ageColumn},
			cells: typed(func(d *appsv1.Deployment) []any {
				desired := int32(1)
				if d.Spec.Replicas != nil {
					desired = *d.Spec.Replicas
				}
				return []any{fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desired), int64(d.Status.UpdatedReplicas),
					int64(d.Status.AvailableReplicas), since(d.CreationTimestamp.Time)}
			}),
		},
		{Resource: "services"}: {
			columns: []column{col("Type", "string", 0, ""), col("Cluster-IP", "string", 0, ""), col("External-IP", "string", 0, ""),
				col("Port(s)", "string", 0, ""), ageColumn, col("Selector", "string", 1, "")},
			cells: typed(serviceCells),
		},
		{Resource: "events"}: {
			columns: []column{col("Last Seen", "string", 0, ""), col("Type", "string", 0, ""), col("Reason", "string", 0, ""),
				col("Object", "string", 0, ""), col("Message", "string", 0, "")},
			cells: typed(func(e *corev1.Event) []any {
				last := e.LastTimestamp.Time
				if e.Series != nil {
					last = e.Series.LastObservedTime.Time
				} else if last.IsZero() {
					last = e.EventTime.Time
				}
				return []any{since(last), e.Type, e.Reason, strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name, strings.TrimSpace(e.Message)}
			}),
			// kubectl shows an event's generated name with -o wide only.
			nameLast: true,
		},
		{Resource: "namespaces"}: {
			columns: []column{col("Status", "string", 0, "the namespace's phase"), ageColumn},
			cells: typed(func(n *corev1.Namespace) []any {
				return []any{string(n.Status.Phase), since(n.CreationTimestamp.Time)}
			}),
		},
		{Group: "config.openshift.io", Resource: "clusteroperators"}: clusterOperators(),
	}
}

// typed converts the object to its Go type for f.
func typed[T any](f func(*T) []any) func(map[string]any) []any {
	return func(obj map[string]any) []any {
		var v T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &v); err != nil {
			return nil
		}
		return f(&v)
	}
}

// clusterOperators are the columns of OpenShift's ClusterOperator CRD, for
// a bundle without it.
func clusterOperators() printer {
	cond := func(typ, field string) string {
		return `.status.conditions[?(@.type=="` + typ + `")].` + field
	}
	cols := crdColumns([]any{
		map[string]any{"name": "Version", "type": "string", "jsonPath": `.status.versions[?(@.name=="operator")].version`},
		map[string]any{"name": "Available", "type": "string", "jsonPath": cond("Available", "status")},
		map[string]any{"name": "Progressing", "type": "string", "jsonPath": cond("Progressing", "status")},
		map[string]any{"name": "Degraded", "type": "string", "jsonPath": cond("Degraded", "status")},
		map[string]any{"name": "Since", "type": "date", "jsonPath": cond("Available", "lastTransitionTime")},
		map[string]any{"name": "Message", "type": "string", "jsonPath": cond("Available", "message"), "priority": int64(1)},
	})
	return printer{columns: cols}
}

// crdColumns reads a CRD version's additionalPrinterColumns.
func crdColumns(defs []any) []column {
	var out []column
	for _, d := range defs {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(m, "name")
		typ, _, _ := unstructured.NestedString(m, "type")
		format, _, _ := unstructured.NestedString(m, "format")
		desc, _, _ := unstructured.NestedString(m, "description")
		prio, _, _ := unstructured.NestedInt64(m, "priority")
		path, _, _ := unstructured.NestedString(m, "jsonPath")
		jp := jsonpath.New(name).AllowMissingKeys(true)
		if err := jp.Parse("{" + path + "}"); err != nil {
			continue
		}
		out = append(out, column{def: metav1.TableColumnDefinition{Name: name, Type: typ, Format: format, Description: desc, Priority: int32(prio)}, path: jp})
	}
	return out
}

// rowCells makes an object's cells past NAME.
func rowCells(t *resourceType, obj map[string]any) []any {
	if t.cells != nil {
		return t.cells(obj)
	}
	if len(t.columns) == 0 {
		u := unstructured.Unstructured{Object: obj}
		return []any{since(u.GetCreationTimestamp().Time)}
	}
	cells := make([]any, len(t.columns))
	for i, c := range t.columns {
		if c.path == nil {
			continue
		}
		results, err := c.path.FindResults(obj)
		if err != nil || len(results) == 0 || len(results[0]) == 0 {
			continue
		}
		v := results[0][0].Interface()
		if c.def.Type == "date" {
			if s, ok := v.(string); ok {
				if tm, err := time.Parse(time.RFC3339, s); err == nil {
					cells[i] = since(tm)
					continue
				}
			}
		}
		cells[i] = v
	}
	return cells
}

// tableColumns are the column definitions of t's table.
func tableColumns(t *resourceType) []metav1.TableColumnDefinition {
	name := metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: "the object's name"}
	var defs []metav1.TableColumnDefinition
	if !t.nameLast {
		defs = append(defs, name)
	}
	cols := t.columns
	if len(cols) == 0 {
		cols = []column{ageColumn}
	}
	for _, c := range cols {
		defs = append(defs, c.def)
	}
	if t.nameLast {
		name.Priority = 1
		defs = append(defs, name)
	}
	return defs
}

// podCells are a pod's READY, STATUS, RESTARTS, AGE, IP and NODE, worked
// out as kubectl shows them.
func podCells(pod *corev1.Pod) []any {
	total := len(pod.Spec.Containers)
	ready := 0
	var count int32
	var last time.Time
	noteRestart := func(s corev1.ContainerStatus) {
		count += s.RestartCount
		if t := s.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(last) {
			last = t.FinishedAt.Time
		}
	}
	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	sidecars := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
			total++
		}
	}
	initializing := false
	for i, s := range pod.Status.InitContainerStatuses {
		noteRestart(s)
		if sidecars[s.Name] {
			if s.Ready && s.Started != nil && *s.Started {
				ready++
			}
			continue
		}
		switch {
		case s.State.Terminated != nil && s.State.Terminated.ExitCode == 0:
			continue
		case s.State.Terminated != nil:
			switch {
			case s.State.Terminated.Reason != "":
				reason = "Init:" + s.State.Terminated.Reason
			case s.State.Terminated.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", s.State.Terminated.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", s.State.Terminated.ExitCode)
			}
		case s.State.Waiting != nil && s.State.Waiting.Reason != "" && s.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + s.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing || podCondition(pod, corev1.PodInitialized) {
		hasRunning := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			s := pod.Status.ContainerStatuses[i]
			noteRestart(s)
			switch {
			case s.State.Waiting != nil && s.State.Waiting.Reason != "":
				reason = s.State.Waiting.Reason
			case s.State.Terminated != nil && s.State.Terminated.Reason != "":
				reason = s.State.Terminated.Reason
			case s.State.Terminated != nil && s.State.Terminated.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", s.State.Terminated.Signal)
			case s.State.Terminated != nil:
				reason = fmt.Sprintf("ExitCode:%d", s.State.Terminated.ExitCode)
			case s.Ready && s.State.Running != nil:
				hasRunning = true
				ready++
			}
		}
		if reason == "Completed" && hasRunning {
			reason = "NotReady"
			if podCondition(pod, corev1.PodReady) {
				reason = "Running"
			}
		}
	}
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == "NodeLost":
		reason = "Unknown"
	case pod.DeletionTimestamp != nil:
		reason = "Terminating"
	}
	ip := pod.Status.PodIP
	if ip == "" {
		ip = "<none>"
	}
	node := pod.Spec.NodeName
	if node == "" {
		node = "<none>"
	}
	return []any{fmt.Sprintf("%d/%d", ready, total), reason, restarts{count, last}, since(pod.CreationTimestamp.Time), ip, node}
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func nodeCells(n *corev1.Node) []any {
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			status = "NotReady"
			if c.Status == corev1.ConditionTrue {
				status = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	var roles []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	role := strings.Join(roles, ",")
	if role == "" {
		role = "<none>"
	}
	ip := "<none>"
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ip = a.Address
			break
		}
	}
	i := n.Status.NodeInfo
	return []any{status, role, since(n.CreationTimestamp.Time), i.KubeletVersion, ip, i.OSImage, i.KernelVersion, i.ContainerRuntimeVersion}
}

func serviceCells(s *corev1.Service) []any {
	clusterIP := s.Spec.ClusterIP
	if clusterIP == "" {
		clusterIP = "<none>"
	}
	var external []string
	for _, in := range s.Status.LoadBalancer.Ingress {
		external = append(external, cmpOr(in.IP, in.Hostname))
	}
	external = append(external, s.Spec.ExternalIPs...)
	ext := strings.Join(external, ",")
	switch {
	case ext != "":
	case s.Spec.Type == corev1.ServiceTypeLoadBalancer:
		ext = "<pending>"
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		ext = s.Spec.ExternalName
	default:
		ext = "<none>"
	}
	var ports []string
	for _, p := range s.Spec.Ports {
		port := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort != 0 {
			port = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		}
		ports = append(ports, port)
	}
	portText := strings.Join(ports, ",")
	if portText == "" {
		portText = "<none>"
	}
	var sel []string
	for k, v := range s.Spec.Selector {
		sel = append(sel, k+"="+v)
	}
	sort.Strings(sel)
	selText := strings.Join(sel, ",")
	if selText == "" {
		selText = "<none>"
	}
	return []any{string(s.Spec.Type), clusterIP, ext, portText, since(s.CreationTimestamp.Time), selText}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

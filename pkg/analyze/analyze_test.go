package analyze

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the end of the crafted gather; certificates are judged then.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// certPEM makes a self-signed certificate that expires at notAfter.
func certPEM(t *testing.T, cn string, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

const manifest = `{"tool":{"product":"must-gather-toolkit","version":"0.1.0"},"start":"2026-11-26T09:58:00Z","end":"2026-11-26T10:00:00Z",
"status":"partial","options":{"product":"must-gather-toolkit","productVersion":"0.1.0","cluster":"https://c:6443","serverVersion":"v1.37.2"},
"steps":[{"name":"10-inspect:7","file":"10-inspect","command":"inspect --cluster","status":"ok","durationSeconds":1.5,"files":10,"bytes":2048,
"cuts":[{"path":"namespaces/app/pods/web/web/web/logs/current.log","originalBytes":209715200,"keptBytes":104857600,"reason":"max-log-size"},
{"path":"namespaces/app/pods/db/db/db/logs/current.log","keptBytes":0,"reason":"max-size"}]},
{"name":"20-audit-logs:5","file":"20-audit-logs","command":"audit-logs","status":"failed","error":"no node reachable","durationSeconds":30,"files":0,"bytes":0}],
"files":10,"bytes":2048}`

const pods = `---
apiVersion: v1
kind: PodList
items:
- metadata: {name: crasher, namespace: app}
  status:
    phase: Running
    containerStatuses:
    - name: main
      restartCount: 7
      state: {waiting: {reason: CrashLoopBackOff, message: back-off}}
      lastState: {terminated: {exitCode: 1, reason: Error}}
- metadata: {name: hog, namespace: app}
  spec:
    containers:
    - name: eat
      resources: {limits: {memory: 16Mi}}
  status:
    phase: Running
    containerStatuses:
    - name: eat
      restartCount: 2
      state: {running: {}}
      lastState: {terminated: {exitCode: 137, reason: OOMKilled}}
- metadata: {name: puller, namespace: app}
  status:
    phase: Pending
    conditions: [{type: PodScheduled, status: "True"}]
    containerStatuses:
    - name: c
      image: nowhere/image:1
      state: {waiting: {reason: ImagePullBackOff, message: pull denied}}
- metadata: {name: lost, namespace: app}
  status:
    phase: Pending
    conditions:
    - {type: PodScheduled, status: "False", reason: Unschedulable, message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}
- metadata: {name: gone, namespace: app}
  status: {phase: Failed, reason: Evicted, message: "The node was low on resource: memory."}
- metadata: {name: fine, namespace: app}
  status:
    phase: Running
    containerStatuses: [{name: c, ready: true, state: {running: {}}}]
`

// bundle is a crafted bundle with one of every problem, in our layout
// under image folder "img" and a second folder in oc's per-object layout.
func bundle(t *testing.T) fstest.MapFS {
	soon := certPEM(t, "soon.example", now.Add(10*24*time.Hour))
	old := certPEM(t, "old.example", now.Add(-24*time.Hour))
	fresh := certPEM(t, "fresh.example", now.Add(300*24*time.Hour))
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"img/gather-manifest.json": file(manifest),
		"img/event-filter.html":    file("<html></html>"),
		"img/cluster-scoped-resources/core/nodes/n1.yaml": file(`---
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  conditions:
  - {type: Ready, status: "False", reason: KubeletNotReady, message: PLEG is not healthy}
  - {type: DiskPressure, status: "True", message: disk is full}
  - {type: MemoryPressure, status: "False"}
`),
		"img/cluster-scoped-resources/core/nodes/n2.yaml": file("kind: Node\nmetadata: {name: n2}\nstatus: {conditions: [{type: Ready, status: \"True\"}]}\n"),
		"img/namespaces/app/app.yaml":                     file("kind: Namespace\nmetadata: {name: app}\n"),
		"img/namespaces/app/core/pods.yaml":               file(pods),
		// the same pod again, as oc also writes it: one finding, from the list
		"img/namespaces/app/pods/crasher/crasher.yaml": file("kind: Pod\nmetadata: {name: crasher, namespace: app}\nstatus: {containerStatuses: [{name: main, state: {waiting: {reason: CrashLoopBackOff}}}]}\n"),
		"img/namespaces/app/apps/deployments.yaml": file(`kind: DeploymentList
items:
- metadata: {name: web, namespace: app}
  spec: {replicas: 2}
  status:
    availableReplicas: 0
    conditions: [{type: Available, status: "False", message: Deployment does not have minimum availability.}]
- metadata: {name: ok, namespace: app}
  spec: {replicas: 1}
  status: {availableReplicas: 1}
`),
		"img/namespaces/app/apps/daemonsets.yaml":             file("kind: DaemonSetList\nitems:\n- metadata: {name: agent, namespace: app}\n  status: {desiredNumberScheduled: 2, numberAvailable: 1, numberUnavailable: 1}\n"),
		"img/namespaces/app/core/persistentvolumeclaims.yaml": file("kind: PersistentVolumeClaimList\nitems:\n- metadata: {name: data, namespace: app}\n  spec: {storageClassName: fast}\n  status: {phase: Pending}\n"),
		"img/namespaces/app/core/services.yaml":               file("kind: ServiceList\nitems:\n- metadata: {name: hook, namespace: app}\n- metadata: {name: served, namespace: app}\n"),
		"img/namespaces/app/core/endpoints.yaml":              file("kind: EndpointsList\nitems:\n- metadata: {name: hook, namespace: app}\n"),
		"img/namespaces/app/discovery.k8s.io/endpointslices.yaml": file(`kind: EndpointSliceList
items:
- metadata: {name: served-x, namespace: app, labels: {kubernetes.io/service-name: served}}
  endpoints: [{addresses: [10.0.0.5], conditions: {ready: true}}]
`),
		"img/cluster-scoped-resources/admissionregistration.k8s.io/validatingwebhookconfigurations/hooks.yaml": file(`kind: ValidatingWebhookConfiguration
metadata: {name: hooks}
webhooks:
- name: broken.example.com
  failurePolicy: Ignore
  clientConfig: {service: {namespace: app, name: hook}}
- name: served.example.com
  clientConfig: {service: {namespace: app, name: served}}
- name: elsewhere.example.com
  clientConfig: {service: {namespace: not-gathered, name: x}}
- name: url.example.com
  clientConfig: {url: "https://example.com/"}
`),
		"img/cluster-scoped-resources/admissionregistration.k8s.io/mutatingwebhookconfigurations/m.yaml": file(`kind: MutatingWebhookConfiguration
metadata: {name: m}
webhooks:
- name: missing.example.com
  clientConfig: {service: {namespace: app, name: nosuch}}
`),
		"img/namespaces/app/core/secrets.yaml": file("kind: SecretList\nitems:\n- metadata: {name: tls, namespace: app}\n  type: kubernetes.io/tls\n  data:\n    tls.crt: " +
			base64.StdEncoding.EncodeToString([]byte(soon)) + "\n    tls.key: " + base64.StdEncoding.EncodeToString([]byte("27 bytes long")) + "\n"),
		"img/namespaces/app/core/configmaps.yaml": file("kind: ConfigMapList\nitems:\n- metadata: {name: bundle, namespace: app}\n  data:\n    ca.crt: |\n" +
			indent(fresh+old, "      ") + "\n- metadata: {name: copy, namespace: other}\n  data:\n    ca-bundle.crt: |\n" + indent(old, "      ") + "\n"),
		"img/namespaces/app/core/events.yaml": file(`kind: EventList
items:
- metadata: {name: e1, namespace: app}
  type: Warning
  reason: BackOff
  count: 40
  lastTimestamp: "2026-11-26T09:59:00Z"
  message: Back-off restarting failed container
  involvedObject: {kind: Pod, namespace: app, name: crasher}
- metadata: {name: e2, namespace: app}
  type: Warning
  reason: BackOff
  count: 2
  lastTimestamp: "2026-11-26T09:00:00Z"
  message: older message
  involvedObject: {kind: Pod, namespace: app, name: crasher}
- metadata: {name: e3, namespace: app}
  type: Warning
  reason: FailedScheduling
  count: 5
  message: 0/1 nodes are available
  involvedObject: {kind: Pod, namespace: app, name: lost}
- metadata: {name: e4, namespace: app}
  type: Normal
  reason: Pulled
  count: 100
  involvedObject: {kind: Pod, name: fine}
`),
		"img/namespaces/app/core/broken.yaml": file("kind: ConfigMap\n"), // not a watched resource: not opened
		"img/namespaces/app/core/nodes.yaml":  file("kind: NodeList\nitems: [\n"),
		// a second image in oc's layout: per-object files, a ClusterOperator
		"other/cluster-scoped-resources/config.openshift.io/clusteroperators/dns.yaml": file(`---
apiVersion: config.openshift.io/v1
kind: ClusterOperator
metadata: {name: dns}
status:
  conditions:
  - {type: Available, status: "False", reason: NoPods, message: no dns pods}
  - {type: Degraded, status: "True", reason: Planted, message: planted by the test}
  - {type: Progressing, status: "True"}
`),
	}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	r, err := Analyze(context.Background(), bundle(t), Options{Now: now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	soonDate := now.Add(10 * 24 * time.Hour).Format(time.RFC3339)
	oldDate := now.Add(-24 * time.Hour).Format(time.RFC3339)
	pod := func(name string) []Object { return []Object{{Kind: "Pod", Namespace: "app", Name: name}} }
	pods := []string{"img/namespaces/app/core/pods.yaml"}
	want := []Finding{
		{Severity: Critical, Check: "certificate-expired", Title: `certificate "old.example" in ConfigMap app/bundle[ca.crt] expired on ` + oldDate,
			Message: "also in 1 other places; issuer CN=old.example",
			Objects: []Object{{Kind: "ConfigMap", Namespace: "app", Name: "bundle"}, {Kind: "ConfigMap", Namespace: "other", Name: "copy"}},
			Files:   []string{"img/namespaces/app/core/configmaps.yaml"}},
		{Severity: Critical, Check: "clusteroperator-degraded", Title: "cluster operator dns is Degraded (Planted)", Message: "planted by the test",
			Objects: []Object{{Kind: "ClusterOperator", Name: "dns"}}, Files: []string{"other/cluster-scoped-resources/config.openshift.io/clusteroperators/dns.yaml"}},
		{Severity: Critical, Check: "clusteroperator-unavailable", Title: "cluster operator dns is not Available (NoPods)", Message: "no dns pods",
			Objects: []Object{{Kind: "ClusterOperator", Name: "dns"}}, Files: []string{"other/cluster-scoped-resources/config.openshift.io/clusteroperators/dns.yaml"}},
		{Severity: Critical, Check: "deployment-replicas", Title: "deployment app/web has 0 of 2 replicas available",
			Message: "Available: Deployment does not have minimum availability.",
			Objects: []Object{{Kind: "Deployment", Namespace: "app", Name: "web"}}, Files: []string{"img/namespaces/app/apps/deployments.yaml"}},
		{Severity: Critical, Check: "node-not-ready", Title: "node n1 is NotReady (Ready=False, KubeletNotReady)", Message: "PLEG is not healthy",
			Objects: []Object{{Kind: "Node", Name: "n1"}}, Files: []string{"img/cluster-scoped-resources/core/nodes/n1.yaml"}},
		{Severity: Critical, Check: "pod-crashloop", Title: "container main of pod app/crasher is crash-looping (7 restarts)",
			Message: "last exit code 1 (Error)", Objects: pod("crasher"), Files: pods},
		{Severity: Critical, Check: "webhook-no-endpoints",
			Title:   "admission webhook missing.example.com (MutatingWebhookConfiguration m, failurePolicy Fail) fails: its service app/nosuch does not exist",
			Objects: []Object{{Kind: "MutatingWebhookConfiguration", Name: "m"}, {Kind: "Service", Namespace: "app", Name: "nosuch"}},
			Files:   []string{"img/cluster-scoped-resources/admissionregistration.k8s.io/mutatingwebhookconfigurations/m.yaml"}},
		{Severity: Warning, Check: "certificate-expiring", Title: `certificate "soon.example" in Secret app/tls[tls.crt] expires on ` + soonDate + ", in 10 days",
			Message: "issuer CN=soon.example",
			Objects: []Object{{Kind: "Secret", Namespace: "app", Name: "tls"}}, Files: []string{"img/namespaces/app/core/secrets.yaml"}},
		{Severity: Warning, Check: "daemonset-replicas", Title: "daemonset app/agent has 1 of 2 pods available (1 unavailable, 0 misscheduled)",
			Objects: []Object{{Kind: "DaemonSet", Namespace: "app", Name: "agent"}}, Files: []string{"img/namespaces/app/apps/daemonsets.yaml"}},
		{Severity: Warning, Check: "gather-step", Title: "gather step 20-audit-logs:5 failed: audit-logs", Message: "no node reachable",
			Objects: []Object{}, Files: []string{"img/gather-manifest.json"}},
		{Severity: Warning, Check: "node-pressure", Title: "node n1 is under DiskPressure", Message: "disk is full",
			Objects: []Object{{Kind: "Node", Name: "n1"}}, Files: []string{"img/cluster-scoped-resources/core/nodes/n1.yaml"}},
		{Severity: Warning, Check: "pod-evicted", Title: "pod app/gone was evicted", Message: "The node was low on resource: memory.", Objects: pod("gone"), Files: pods},
		{Severity: Warning, Check: "pod-image-pull", Title: "container c of pod app/puller is stuck pulling its image nowhere/image:1 (ImagePullBackOff)",
			Message: "pull denied", Objects: pod("puller"), Files: pods},
		{Severity: Warning, Check: "pod-oomkilled", Title: "container eat of pod app/hog was OOMKilled (exit code 137, 2 restarts)",
			Message: "memory limit 16Mi", Objects: pod("hog"), Files: pods},
		{Severity: Warning, Check: "pod-unschedulable", Title: "pod app/lost is pending: Unschedulable",
			Message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.", Objects: pod("lost"), Files: pods},
		{Severity: Warning, Check: "pvc-pending", Title: "persistent volume claim app/data is Pending (storage class fast)",
			Objects: []Object{{Kind: "PersistentVolumeClaim", Namespace: "app", Name: "data"}}, Files: []string{"img/namespaces/app/core/persistentvolumeclaims.yaml"}},
		{Severity: Warning, Check: "webhook-no-endpoints",
			Title:   "admission webhook broken.example.com (ValidatingWebhookConfiguration hooks, failurePolicy Ignore) fails: its service app/hook has no ready endpoint",
			Objects: []Object{{Kind: "ValidatingWebhookConfiguration", Name: "hooks"}, {Kind: "Service", Namespace: "app", Name: "hook"}},
			Files:   []string{"img/cluster-scoped-resources/admissionregistration.k8s.io/validatingwebhookconfigurations/hooks.yaml", "img/namespaces/app/core/services.yaml"}},
		{Severity: Info, Check: "gather-cut", Count: 2, Title: "gather step 10-inspect:7 cut or left out 2 container logs to fit its size limits",
			Message: "namespaces/app/pods/web/web/web/logs/current.log cut to its last 100.0 MiB of 200.0 MiB: max-log-size; namespaces/app/pods/db/db/db/logs/current.log not written: max-size",
			Objects: []Object{}, Files: []string{"img/gather-manifest.json", "img/namespaces/app/pods/web/web/web/logs/current.log"}},
		{Severity: Info, Check: "warning-events", Count: 42, Title: "42 Warning events BackOff on Pod app/crasher", Message: "Back-off restarting failed container",
			Objects: pod("crasher"), Files: []string{"img/namespaces/app/core/events.yaml"}},
		{Severity: Info, Check: "warning-events", Count: 5, Title: "5 Warning events FailedScheduling on Pod app/lost", Message: "0/1 nodes are available",
			Objects: pod("lost"), Files: []string{"img/namespaces/app/core/events.yaml"}},
	}
	if diff := cmp.Diff(want, r.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"critical": 7, "warning": 10, "info": 3}, r.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0], "img/namespaces/app/core/nodes.yaml: ") {
		t.Errorf("errors: want the broken nodes.yaml alone, got %q", r.Errors)
	}
	if !r.AsOf.Equal(now) {
		t.Errorf("asOf: want the manifest's end %s, got %s", now, r.AsOf)
	}
	type summary struct {
		Path, Product, ServerVersion, Status  string
		Nodes, Ready, Namespaces, Pods, Steps int
	}
	var got []summary
	for _, b := range r.Bundles {
		got = append(got, summary{b.Path, b.Product, b.ServerVersion, b.Status, b.Nodes, b.NodesReady, b.Namespaces, b.Pods, len(b.Steps)})
	}
	wantBundles := []summary{
		{Path: "img", Product: "must-gather-toolkit", ServerVersion: "v1.37.2", Status: "partial", Nodes: 2, Ready: 1, Namespaces: 1, Pods: 6, Steps: 2},
		{Path: "other"},
	}
	if diff := cmp.Diff(wantBundles, got); diff != "" {
		t.Errorf("bundles (-want +got):\n%s", diff)
	}
}

// A crash-looping container is found whether the status was written
// during its back-off (waiting in CrashLoopBackOff) or when it ended
// (terminated, to be restarted), and only when the kubelet will start it
// again.
func TestCrashLoop(t *testing.T) {
	t.Parallel()
	const file = "namespaces/app/core/pods.yaml"
	tests := []struct {
		name string
		pod  string // the pod's spec and status, under metadata {name: p, namespace: app}
		want []string
	}{
		{name: "waiting in CrashLoopBackOff",
			pod: `status: {phase: Running, containerStatuses: [{name: c, restartCount: 3,
  state: {waiting: {reason: CrashLoopBackOff}}, lastState: {terminated: {exitCode: 1, reason: Error}}}]}`,
			want: []string{"container c of pod app/p is crash-looping (3 restarts): last exit code 1 (Error)"}},
		{name: "terminated between restarts, as a 1.37 kubelet writes it",
			pod: `spec: {restartPolicy: Always, containers: [{name: c}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 3,
  state: {terminated: {exitCode: 1, reason: Error}}, lastState: {terminated: {exitCode: 1, reason: Error}}}]}`,
			want: []string{"container c of pod app/p is crash-looping (3 restarts): last exit code 1 (Error), to be restarted"}},
		{name: "exit 0 under Always loops too",
			pod: `spec: {containers: [{name: c}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 2, state: {terminated: {exitCode: 0, reason: Completed}}}]}`,
			want: []string{"container c of pod app/p is crash-looping (2 restarts): last exit code 0 (Completed), to be restarted"}},
		{name: "first failure: no restart yet",
			pod: `spec: {restartPolicy: Always, containers: [{name: c}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 0, state: {terminated: {exitCode: 1, reason: Error}}}]}`},
		{name: "exit 0 under OnFailure is done",
			pod: `spec: {restartPolicy: OnFailure, containers: [{name: c}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 2, state: {terminated: {exitCode: 0, reason: Completed}}}]}`},
		{name: "a failed pod restarts nothing",
			pod: `spec: {restartPolicy: OnFailure, containers: [{name: c}]}
status: {phase: Failed, containerStatuses: [{name: c, restartCount: 2, state: {terminated: {exitCode: 1, reason: Error}}}]}`},
		{name: "a pod being deleted restarts nothing",
			pod: `spec: {containers: [{name: c}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 2, state: {terminated: {exitCode: 1, reason: Error}}}]}`},
		{name: "a container of policy Never in a pod of Always",
			pod: `spec: {restartPolicy: Always, containers: [{name: c, restartPolicy: Never}]}
status: {phase: Running, containerStatuses: [{name: c, restartCount: 1, state: {terminated: {exitCode: 1, reason: Error}}}]}`},
		{name: "an init container that succeeded is done",
			pod: `spec: {restartPolicy: Always, initContainers: [{name: i}], containers: [{name: c}]}
status: {phase: Pending, initContainerStatuses: [{name: i, restartCount: 2, state: {terminated: {exitCode: 0, reason: Completed}}}]}`},
		{name: "an init container that fails loops",
			pod: `spec: {restartPolicy: Always, initContainers: [{name: i}], containers: [{name: c}]}
status: {phase: Pending, initContainerStatuses: [{name: i, restartCount: 2, state: {terminated: {exitCode: 2, reason: Error}}}]}`,
			want: []string{"container i of pod app/p is crash-looping (2 restarts): last exit code 2 (Error), to be restarted"}},
		{name: "a sidecar restarts after exit 0",
			pod: `spec: {restartPolicy: Never, initContainers: [{name: s, restartPolicy: Always}], containers: [{name: c}]}
status: {phase: Running, initContainerStatuses: [{name: s, restartCount: 4, state: {terminated: {exitCode: 0, reason: Completed}}}]}`,
			want: []string{"container s of pod app/p is crash-looping (4 restarts): last exit code 0 (Completed), to be restarted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			meta := "metadata: {name: p, namespace: app}\n"
			if strings.Contains(tt.name, "deleted") {
				meta = "metadata: {name: p, namespace: app, deletionTimestamp: \"2026-11-26T09:59:00Z\"}\n"
			}
			fsys := fstest.MapFS{file: &fstest.MapFile{Data: []byte("kind: PodList\nitems:\n- " +
				strings.ReplaceAll(meta+tt.pod, "\n", "\n  ") + "\n")}}
			r, err := Analyze(context.Background(), fsys, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %q", r.Errors)
			}
			var got []string
			for _, f := range r.Findings {
				if f.Check == "pod-crashloop" {
					got = append(got, f.Title+": "+f.Message)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("crash-loop findings (-want +got):\n%s", diff)
			}
		})
	}
}

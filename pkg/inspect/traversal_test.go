package inspect

import (
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
)

// Values planted in the fake cluster that no written file may hold.
const (
	plantedSecret    = "planted-secret-hunter2"
	plantedProxyPass = "planted-proxy-pass"
)

// apiResource is one served type of the fake discovery.
func apiResource(name, kind string, namespaced bool, extra ...func(*metav1.APIResource)) metav1.APIResource {
	r := metav1.APIResource{Name: name, Kind: kind, Namespaced: namespaced, Verbs: metav1.Verbs{"get", "list"}}
	for _, f := range extra {
		f(&r)
	}
	return r
}

func inAll(r *metav1.APIResource) { r.Categories = []string{"all"} }

func shortNames(n ...string) func(*metav1.APIResource) {
	return func(r *metav1.APIResource) { r.ShortNames = n }
}

// served is what the fake server serves; openshift adds config.openshift.io.
func served(openshift bool) []*metav1.APIResourceList {
	lists := []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			apiResource("namespaces", "Namespace", false, shortNames("ns")),
			apiResource("nodes", "Node", false),
			apiResource("pods", "Pod", true, inAll, shortNames("po")),
			{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get"}},
			apiResource("services", "Service", true, inAll),
			apiResource("configmaps", "ConfigMap", true),
			apiResource("secrets", "Secret", true),
			apiResource("events", "Event", true),
		}},
		{GroupVersion: "events.k8s.io/v1", APIResources: []metav1.APIResource{apiResource("events", "Event", true)}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{apiResource("deployments", "Deployment", true, inAll)}},
		{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{
			apiResource("widgets", "Widget", true),
			apiResource("gadgets", "Gadget", true),
		}},
		{GroupVersion: "sub.example.com/v1", APIResources: []metav1.APIResource{apiResource("things", "Thing", false)}},
		{GroupVersion: "admissionregistration.k8s.io/v1", APIResources: []metav1.APIResource{
			apiResource("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
			apiResource("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false),
		}},
		{GroupVersion: "apiextensions.k8s.io/v1", APIResources: []metav1.APIResource{
			apiResource("customresourcedefinitions", "CustomResourceDefinition", false),
		}},
	}
	if openshift {
		lists = append(lists, &metav1.APIResourceList{GroupVersion: "config.openshift.io/v1", APIResources: []metav1.APIResource{
			apiResource("clusteroperators", "ClusterOperator", false),
			apiResource("proxies", "Proxy", false),
		}})
	}
	return lists
}

// object builds an unstructured object.
func object(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}
	if ns != "" {
		o["metadata"].(map[string]any)["namespace"] = ns
	}
	for k, v := range fields {
		o[k] = v
	}
	return &unstructured.Unstructured{Object: o}
}

func related(group, resource, ns, name string) map[string]any {
	return map[string]any{"group": group, "resource": resource, "namespace": ns, "name": name}
}

func running() map[string]any { return map[string]any{"running": map[string]any{}} }

// world is the fake cluster: every test gets its own copy.
func world(openshift bool) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease",
		"app", "broken", "hooks", "conv", "net", "other", "openshift-etcd"} {
		objs = append(objs, object("v1", "Namespace", "", ns, nil))
	}
	objs = append(objs,
		object("v1", "Node", "", "node-1", nil),
		// app: a healthy pod (a container never created has no log), data
		// with credentials, and a custom resource pointing elsewhere.
		object("v1", "Pod", "app", "web", map[string]any{
			"spec": map[string]any{"nodeName": "node-1",
				"initContainers": []any{map[string]any{"name": "init"}},
				"containers":     []any{map[string]any{"name": "c1"}, map[string]any{"name": "never"}}},
			"status": map[string]any{"phase": "Running",
				"initContainerStatuses": []any{map[string]any{"name": "init", "state": map[string]any{"terminated": map[string]any{"exitCode": int64(0)}}}},
				"containerStatuses":     []any{map[string]any{"name": "c1", "state": running()}}},
		}),
		object("v1", "ConfigMap", "app", "settings", map[string]any{"data": map[string]any{"proxy": "http://user:" + plantedProxyPass + "@proxy:3128"}}),
		object("v1", "Secret", "app", "token", map[string]any{"data": map[string]any{"token": base64.StdEncoding.EncodeToString([]byte(plantedSecret))}}),
		object("example.com/v1", "Widget", "app", "w-app", map[string]any{"status": map[string]any{"relatedObjects": []any{
			related("", "secrets", "other", "s1"),
			related("config.openshift.io", "clusteroperators", "", "network"), // back: a cycle
		}}}),
		// broken: a crash-looping pod; helper restarted, but its previous
		// log is gone (absent data, not an error).
		object("v1", "Pod", "broken", "crash", map[string]any{
			"spec": map[string]any{"nodeName": "node-1", "containers": []any{
				map[string]any{"name": "main"}, map[string]any{"name": "helper"}}},
			"status": map[string]any{"phase": "Running", "containerStatuses": []any{
				map[string]any{"name": "main", "restartCount": int64(3),
					"state":     map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff"}},
					"lastState": map[string]any{"terminated": map[string]any{"exitCode": int64(1)}}},
				map[string]any{"name": "helper", "restartCount": int64(1), "state": running()},
			}},
		}),
		object("v1", "Service", "hooks", "hook-svc", nil),
		object("sub.example.com/v1", "Thing", "", "t1", nil),
		object("apps/v1", "Deployment", "net", "dep", nil),
		object("v1", "Secret", "other", "s1", map[string]any{"data": map[string]any{"key": base64.StdEncoding.EncodeToString([]byte(plantedSecret))}}),
		object("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", "mwh", map[string]any{"webhooks": []any{
			map[string]any{"name": "m.example.com", "clientConfig": map[string]any{"service": map[string]any{"namespace": "hooks", "name": "hook-svc"}}},
		}}),
		object("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "vwh", map[string]any{"webhooks": []any{
			map[string]any{"name": "v.example.com", "clientConfig": map[string]any{"service": map[string]any{"namespace": "hooks", "name": "hook-svc"}}},
			map[string]any{"name": "url.example.com", "clientConfig": map[string]any{"url": "https://hooks.example.com"}},
		}}),
		object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com", map[string]any{"spec": map[string]any{
			"group": "example.com",
			"conversion": map[string]any{"strategy": "Webhook", "webhook": map[string]any{"clientConfig": map[string]any{
				"service": map[string]any{"namespace": "conv", "name": "converter"}}}},
		}}),
	)
	if openshift {
		objs = append(objs,
			object("config.openshift.io/v1", "ClusterOperator", "", "network", map[string]any{"status": map[string]any{"relatedObjects": []any{
				related("", "namespaces", "", "net"),
				related("apps", "deployments", "net", ""), // every one in net
				related("example.com", "widgets", "app", "w-app"),
				related("route.openshift.io", "routes", "net", "r"), // not served
			}}}),
			object("config.openshift.io/v1", "Proxy", "", "cluster", map[string]any{"spec": map[string]any{
				"httpProxy": "http://user:" + plantedProxyPass + "@proxy:3128"}}),
		)
	}
	return objs
}

// fakeCluster is the clients of a fake cluster and what they were asked.
type fakeCluster struct {
	clients Clients
	dyn     *dynamicfake.FakeDynamicClient
	kube    *kubefake.Clientset
}

// newFakeCluster serves objs: the dynamic client all of them, the typed
// one the namespaces and pods (what --cluster picks from, and the logs).
// A container's log reads "<ns> <container> previous=<bool> ..." (the fake
// does not pass the pod's name on; the test pods' containers have distinct
// names); the previous log of a container named helper is gone.
func newFakeCluster(t *testing.T, openshift bool, objs []*unstructured.Unstructured) *fakeCluster {
	t.Helper()
	listKinds := map[schema.GroupVersionResource]string{}
	for _, l := range served(openshift) {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") {
				listKinds[gv.WithResource(r.Name)] = r.Kind + "List"
			}
		}
	}
	var dynObjs, kubeObjs []runtime.Object
	for _, o := range objs {
		dynObjs = append(dynObjs, o.DeepCopy())
		var typed runtime.Object
		switch o.GetKind() {
		case "Namespace":
			typed = &corev1.Namespace{}
		case "Pod":
			typed = &corev1.Pod{}
		default:
			continue
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, typed); err != nil {
			t.Fatal(err)
		}
		kubeObjs = append(kubeObjs, typed)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, dynObjs...)
	kube := kubefake.NewClientset(kubeObjs...)
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = served(openshift)
	kube.PrependReactor("get", "pods", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "log" {
			return false, nil, nil
		}
		a := action.(clienttesting.GenericAction)
		opts := a.GetValue().(*corev1.PodLogOptions)
		if opts.Previous && opts.Container == "helper" {
			return true, nil, apierrors.NewBadRequest(`previous terminated container "helper" not found`)
		}
		return true, &runtime.Unknown{Raw: []byte(fmt.Sprintf("%s %s previous=%v timestamps=%v\n",
			a.GetNamespace(), opts.Container, opts.Previous, opts.Timestamps))}, nil
	})
	return &fakeCluster{
		clients: Clients{Dynamic: dyn, Discovery: kube.Discovery(), Kube: kube},
		dyn:     dyn, kube: kube,
	}
}

// nsFiles are the files of a gathered namespace besides its pods: the
// namespace, the list files written even when empty (category all and the
// oc adm inspect set, as served), and the extra ones of types with objects.
func nsFiles(ns string, extra ...string) []string {
	out := []string{
		path.Join("namespaces", ns, ns+".yaml"),
		path.Join("namespaces", ns, "apps", "deployments.yaml"),
	}
	for _, r := range []string{"configmaps", "events", "pods", "secrets", "services"} {
		out = append(out, path.Join("namespaces", ns, "core", r+".yaml"))
	}
	for _, e := range extra {
		out = append(out, path.Join("namespaces", ns, e))
	}
	return out
}

// podFiles are a pod's file and the logs of the named containers
// ("c" for the current log, "c/previous" for the previous one).
func podFiles(ns, pod string, logs ...string) []string {
	out := []string{path.Join("namespaces", ns, "pods", pod, pod+".yaml")}
	for _, l := range logs {
		c, prev, _ := strings.Cut(l, "/")
		file := "current.log"
		if prev != "" {
			file = "previous.log"
		}
		out = append(out, path.Join("namespaces", ns, "pods", pod, c, c, "logs", file))
	}
	return out
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	sort.Strings(out)
	return out
}

// emptyList is the content of a list file without items.
func emptyList(kind string) string {
	return "---\napiVersion: v1\nitems:\n  []\nkind: " + kind + "\nmetadata: {}\n"
}

var (
	// The cluster-scoped state --cluster gathers on the fake cluster, and
	// the namespaces its webhooks and CRD conversion lead to.
	clusterState = []string{
		"cluster-scoped-resources/admissionregistration.k8s.io/mutatingwebhookconfigurations/mwh.yaml",
		"cluster-scoped-resources/admissionregistration.k8s.io/validatingwebhookconfigurations/vwh.yaml",
		"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com.yaml",
		"cluster-scoped-resources/core/nodes/node-1.yaml",
	}
	hookNamespaces = join(nsFiles("hooks"), nsFiles("conv"))
	// The ClusterOperator and what it leads to.
	networkOperator = join(
		[]string{
			"cluster-scoped-resources/config.openshift.io/clusteroperators/network.yaml",
			"cluster-scoped-resources/config.openshift.io/clusteroperators.yaml",
			"cluster-scoped-resources/config.openshift.io/proxies.yaml",
			"namespaces/net/apps/deployments/dep.yaml",
			"namespaces/app/example.com/widgets/w-app.yaml",
			"namespaces/other/core/secrets/s1.yaml",
		},
		nsFiles("net"),
	)
	systemNamespaces = join(nsFiles("default"), nsFiles("kube-system"), nsFiles("kube-public"), nsFiles("kube-node-lease"))
	brokenNamespace  = join(nsFiles("broken"), podFiles("broken", "crash", "main", "main/previous", "helper"))
)

func TestGather(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		openshift bool
		cfg       Config
		args      []string
		want      []string
		// wantContent pins the content of some files.
		wantContent map[string]string
		// wantLog are lines the log must hold.
		wantLog []string
		wantErr bool
	}{
		{
			name:      "related objects, recursively, with the config groups",
			openshift: true,
			args:      []string{"clusteroperators/network"},
			want:      networkOperator,
			wantLog:   []string{"inspect: warning: skipping related object routes.route.openshift.io/r of network: the server does not serve it"},
		},
		{
			name: "a namespace: fixed list files even when empty, other types only with objects, pods and logs",
			args: []string{"ns/app"},
			want: join(nsFiles("app", "example.com/widgets.yaml"), podFiles("app", "web", "init", "c1")),
			wantContent: map[string]string{
				"namespaces/app/core/services.yaml":                  emptyList("ServiceList"),
				"namespaces/app/apps/deployments.yaml":               emptyList("DeploymentList"),
				"namespaces/app/pods/web/c1/c1/logs/current.log":     "app c1 previous=false timestamps=true\n",
				"namespaces/app/pods/web/init/init/logs/current.log": "app init previous=false timestamps=true\n",
			},
		},
		{
			name: "a crash-looping pod: current and previous logs; a previous log that is gone is no error",
			args: []string{"pods/crash"},
			cfg:  Config{Namespace: "broken"},
			want: join(podFiles("broken", "crash", "main", "main/previous", "helper")),
			wantContent: map[string]string{
				"namespaces/broken/pods/crash/main/main/logs/previous.log": "broken main previous=true timestamps=true\n",
			},
		},
		{
			name: "webhook configurations and a CRD's conversion webhook lead to their services' namespaces",
			args: []string{"mutatingwebhookconfigurations/mwh", "validatingwebhookconfigurations/vwh", "customresourcedefinitions/widgets.example.com"},
			want: join(clusterState[:3], hookNamespaces),
		},
		{
			name: "--cluster on Kubernetes: cluster state, system namespaces, namespaces with failing pods",
			cfg:  Config{Cluster: true},
			want: join(clusterState, hookNamespaces, systemNamespaces, brokenNamespace),
		},
		{
			name:      "--cluster on OpenShift: ClusterOperators first, and the openshift namespaces",
			openshift: true,
			cfg:       Config{Cluster: true},
			want: join(networkOperator, clusterState, hookNamespaces, systemNamespaces, brokenNamespace,
				nsFiles("openshift-etcd")),
		},
		{
			name:    "a type the server does not serve is skipped with a warning",
			args:    []string{"routes.route.openshift.io/r", "configmaps/settings"},
			cfg:     Config{Namespace: "app"},
			want:    []string{"namespaces/app/core/configmaps/settings.yaml"},
			wantLog: []string{"inspect: warning: skipping routes.route.openshift.io: the server does not serve it"},
		},
		{
			name:    "named namespaces, side by side: one that does not exist is an error; the others are gathered",
			args:    []string{"ns/app", "ns/nope", "ns/broken"},
			want:    join(nsFiles("app", "example.com/widgets.yaml"), podFiles("app", "web", "init", "c1"), brokenNamespace),
			wantLog: []string{`inspect: getting namespaces/nope: namespaces "nope" not found`},
			wantErr: true,
		},
		{
			name:    "an object that does not exist is an error; the others are gathered",
			args:    []string{"nodes/node-1", "nodes/gone"},
			want:    []string{"cluster-scoped-resources/core/nodes/node-1.yaml"},
			wantErr: true,
		},
		{
			name: "an API group: its CRDs and every object of its types, and what they point at",
			cfg:  Config{APIGroups: []string{"example.com"}},
			want: join(nsFiles("conv"), []string{
				"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com.yaml",
				"namespaces/app/example.com/widgets/w-app.yaml",
				"namespaces/other/core/secrets/s1.yaml",
			}),
		},
		{
			name: "an API group and its subgroups",
			cfg:  Config{APIGroups: []string{".example.com"}},
			want: join(nsFiles("conv"), []string{
				"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com.yaml",
				"cluster-scoped-resources/sub.example.com/things/t1.yaml",
				"namespaces/app/example.com/widgets/w-app.yaml",
				"namespaces/other/core/secrets/s1.yaml",
			}),
		},
		{
			name:    "an API group the cluster does not have is a warning",
			cfg:     Config{APIGroups: []string{"example.org"}},
			want:    []string{},
			wantLog: []string{"inspect: warning: --api-group example.org: no CRD and no served type of that group"},
		},
		{
			name:    "an API group that is not a group name",
			cfg:     Config{APIGroups: []string{"../etc"}},
			want:    []string{},
			wantErr: true,
		},
		{
			name:    "nothing to inspect",
			want:    []string{},
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fc := newFakeCluster(t, tc.openshift, world(tc.openshift))
			sink, mem := outputtest.New(output.Options{})
			var log outputtest.Log
			err := Gather(t.Context(), fc.clients, sink, &log, tc.cfg, tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Gather() error = %v, wantErr %v\nlog:\n%s", err, tc.wantErr, log.String())
			}
			if diff := cmp.Diff(tc.want, mem.Paths()); diff != "" {
				t.Errorf("written paths (-want +got):\n%s\nlog:\n%s", diff, log.String())
			}
			files := mem.Files()
			for p, want := range tc.wantContent {
				if diff := cmp.Diff(want, files[p]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", p, diff)
				}
			}
			for _, line := range tc.wantLog {
				if !strings.Contains(log.String(), line+"\n") {
					t.Errorf("log lacks %q:\n%s", line, log.String())
				}
			}
			for p, content := range files {
				for _, planted := range []string{plantedSecret, base64.StdEncoding.EncodeToString([]byte(plantedSecret)), plantedProxyPass} {
					if strings.Contains(content, planted) {
						t.Errorf("%s leaks %q", p, planted)
					}
				}
			}
		})
	}
}

// Lists go page by page in pages of --chunk-size; every page lands in the
// one list file, in order.
func TestGatherPages(t *testing.T) {
	t.Parallel()
	objs := world(false)
	for i := range 4 {
		objs = append(objs, object("v1", "ConfigMap", "app", fmt.Sprintf("cm-%d", i), nil))
	}
	fc := newFakeCluster(t, false, objs)
	var mu sync.Mutex
	var limits []int64
	// The fake ignores Limit and Continue: page its answer here.
	fc.dyn.PrependReactor("list", "configmaps", func(action clienttesting.Action) (bool, runtime.Object, error) {
		opts := action.(clienttesting.ListActionImpl).GetListOptions()
		mu.Lock()
		limits = append(limits, opts.Limit)
		mu.Unlock()
		all, err := fc.dyn.Tracker().List(corev1.SchemeGroupVersion.WithResource("configmaps"),
			corev1.SchemeGroupVersion.WithKind("ConfigMap"), action.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		items, err := listItems(all)
		if err != nil {
			return true, nil, err
		}
		sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
		start := 0
		if opts.Continue != "" {
			if _, err := fmt.Sscan(opts.Continue, &start); err != nil {
				return true, nil, err
			}
		}
		end := min(start+int(opts.Limit), len(items))
		page := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMapList"}}
		page.Items = items[start:end]
		if end < len(items) {
			page.SetContinue(fmt.Sprint(end))
		}
		return true, page, nil
	})
	sink, mem := outputtest.New(output.Options{})
	var log outputtest.Log
	if err := Gather(t.Context(), fc.clients, sink, &log, Config{PageSize: 2}, []string{"namespaces/app"}); err != nil {
		t.Fatalf("Gather: %v\n%s", err, log.String())
	}
	b, _ := mem.Read("namespaces/app/core/configmaps.yaml")
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Metadata.Name)
	}
	if diff := cmp.Diff([]string{"cm-0", "cm-1", "cm-2", "cm-3", "settings"}, names); diff != "" {
		t.Errorf("configmaps.yaml items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{2, 2, 2}, limits); diff != "" {
		t.Errorf("list calls' limits (-want +got):\n%s", diff)
	}
}

// listItems reads the items of a list the tracker returned.
func listItems(list runtime.Object) ([]unstructured.Unstructured, error) {
	u, ok := list.(*unstructured.UnstructuredList)
	if !ok {
		return nil, fmt.Errorf("tracker returned %T", list)
	}
	return u.Items, nil
}

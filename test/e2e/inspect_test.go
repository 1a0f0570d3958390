package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
	"github.com/must-gather/toolkit/test/clustertest"
)

var (
	coGVR    = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusteroperators"}
	proxyGVR = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "proxies"}
	crdGVR   = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// simpleCRD is a CRD of one version, v1, whose objects may hold anything:
// <plural>.<group> of kind, scoped "Namespaced" or "Cluster".
func simpleCRD(group, plural, kind, scope string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + "." + group},
		"spec": map[string]any{
			"group": group, "scope": scope,
			"names": map[string]any{"kind": kind, "listKind": kind + "List", "plural": plural, "singular": strings.ToLower(kind)},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
}

// Values planted in the cluster that must appear in no output file.
const (
	plantedSecret    = "planted-secret-hunter2"
	plantedProxyPass = "planted-proxy-pass"
)

// runInspect runs the inspect built-in alone (it then writes the root
// files itself) into a fresh directory.
func runInspect(t *testing.T, cfg *rest.Config, icfg inspect.Config, args ...string) (dest, log string, err error) {
	t.Helper()
	dest = filepath.Join(t.TempDir(), "inspect")
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf outputtest.Log
	env := &builtin.Env{
		Sink:    sink,
		Cluster: cluster.NewAccess(func() (*rest.Config, error) { return cfg, nil }),
		Log:     &buf,
	}
	err = inspect.Run(t.Context(), env, icfg, args)
	return dest, buf.String(), err
}

// files lists the files below dir, relative, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertNoLeak fails when a planted value (or its base64) is in any file.
func assertNoLeak(t *testing.T, dir string, planted ...string) {
	t.Helper()
	var needles []string
	for _, p := range planted {
		needles = append(needles, p, base64.StdEncoding.EncodeToString([]byte(p)))
	}
	for _, f := range files(t, dir) {
		content := read(t, filepath.Join(dir, f))
		for _, n := range needles {
			if strings.Contains(content, n) {
				t.Errorf("%s leaks %q", f, n)
			}
		}
	}
}

func TestInspectClusterOperatorTree(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	clustertest.InstallOpenShiftCRDs(t)
	cfg := clustertest.Config(t)
	cs := clustertest.Client(t)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := clustertest.Namespace(t)
	ctx := t.Context()

	// The namespace's contents.
	mustCreate(t, func() error {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"level": "debug"}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
			Data: map[string][]byte{"password": []byte(plantedSecret), "ca.crt": []byte("PUBLIC-CA")}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1.DeploymentSpec{
				Replicas: new(int32),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
					Spec: func() corev1.PodSpec {
						spec := clustertest.TestPod(t, ns, "x", "log", "web").Spec
						spec.RestartPolicy = corev1.RestartPolicyAlways
						return spec
					}(),
				},
			},
		}, metav1.CreateOptions{})
		return err
	})
	// Each run lives 20 s, so once it has restarted, the previous run's
	// container (and log) is certainly still there while we inspect.
	crash := clustertest.TestPod(t, ns, "crasher", "exit-after", "20s", "3", "crash-output")
	crash.Spec.RestartPolicy = corev1.RestartPolicyAlways
	withInit := clustertest.TestPod(t, ns, "with-init", "log", "main-output")
	withInit.Spec.InitContainers = []corev1.Container{{
		Name: "setup", Image: clustertest.TestImage(t), ImagePullPolicy: corev1.PullIfNotPresent,
		Command: []string{"/testimage", "exit", "0", "init-output"},
	}}
	createPod(t, crash)
	createPod(t, withInit)
	clustertest.WaitForPod(t, ns, "with-init", 2*time.Minute, clustertest.Running)
	clustertest.WaitForPod(t, ns, "crasher", 2*time.Minute, func(p *corev1.Pod) bool {
		for _, s := range p.Status.ContainerStatuses {
			if s.RestartCount >= 1 && s.State.Running != nil {
				return true
			}
		}
		return false
	})

	// A proxy with credentials, and a ClusterOperator pointing at both.
	suffix := ns[len(ns)-6:]
	proxyName := "proxy-" + suffix
	proxy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "config.openshift.io/v1", "kind": "Proxy",
		"metadata": map[string]any{"name": proxyName, "annotations": map[string]any{
			"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"httpProxy":"http://user:` + plantedProxyPass + `@proxy:3128"}}`,
		}},
		"spec": map[string]any{"httpProxy": "http://user:" + plantedProxyPass + "@proxy:3128"},
	}}
	if _, err := clustertest.CreateWithRetry(ctx, dyn.Resource(proxyGVR), proxy); err != nil {
		t.Fatalf("creating proxy: %v", err)
	}
	t.Cleanup(func() { _ = dyn.Resource(proxyGVR).Delete(context.Background(), proxyName, metav1.DeleteOptions{}) })
	coName := "test-" + suffix
	co := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
		"metadata": map[string]any{"name": coName},
		"spec":     map[string]any{},
	}}
	created, err := clustertest.CreateWithRetry(ctx, dyn.Resource(coGVR), co)
	if err != nil {
		t.Fatalf("creating clusteroperator: %v", err)
	}
	t.Cleanup(func() { _ = dyn.Resource(coGVR).Delete(context.Background(), coName, metav1.DeleteOptions{}) })
	created.Object["status"] = map[string]any{"relatedObjects": []any{
		map[string]any{"group": "", "resource": "namespaces", "name": ns},
		map[string]any{"group": "config.openshift.io", "resource": "proxies", "name": proxyName},
		map[string]any{"group": "example.invalid", "resource": "notserved", "name": "x"},
	}}
	if _, err := dyn.Resource(coGVR).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("setting relatedObjects: %v", err)
	}

	dest, log, err := runInspect(t, cfg, inspect.Config{}, "clusteroperators/"+coName)
	if err != nil {
		t.Fatalf("inspect: %v\nlog:\n%s", err, log)
	}
	if !strings.Contains(log, "skipping related object notserved.example.invalid/x") {
		t.Errorf("no warning for the related object of a type not served:\n%s", log)
	}

	// The namespace's subtree, as a golden layout (generated names replaced).
	var nsFiles []string
	for _, f := range files(t, dest) {
		if rest, ok := strings.CutPrefix(f, "namespaces/"+ns+"/"); ok {
			nsFiles = append(nsFiles, strings.ReplaceAll(rest, ns, "NS"))
		}
	}
	want := []string{
		"NS.yaml", // upper case sorts first
		"apps/daemonsets.yaml",
		"apps/deployments.yaml",
		"apps/replicasets.yaml",
		"apps/statefulsets.yaml",
		"autoscaling/horizontalpodautoscalers.yaml",
		"batch/cronjobs.yaml",
		"batch/jobs.yaml",
		"core/configmaps.yaml",
		"core/endpoints.yaml",
		"core/events.yaml",
		"core/persistentvolumeclaims.yaml",
		"core/pods.yaml",
		"core/replicationcontrollers.yaml",
		"core/secrets.yaml",
		"core/serviceaccounts.yaml", // not in the oc set: written because it is not empty
		"core/services.yaml",
		"discovery.k8s.io/endpointslices.yaml",
		"networking.k8s.io/ingresses.yaml",
		"networking.k8s.io/networkpolicies.yaml",
		"pods/crasher/crasher.yaml",
		"pods/crasher/main/main/logs/current.log",
		"pods/crasher/main/main/logs/previous.log",
		"pods/with-init/main/main/logs/current.log",
		"pods/with-init/setup/setup/logs/current.log",
		"pods/with-init/with-init.yaml",
		"policy/poddisruptionbudgets.yaml",
	}
	sort.Strings(nsFiles)
	if diff := cmp.Diff(want, nsFiles); diff != "" {
		t.Errorf("namespace layout (-want +got):\n%s", diff)
	}
	for _, f := range []string{
		"timestamp", "aggregated-discovery-api.yaml", "aggregated-discovery-apis.yaml", "event-filter.html",
		"cluster-scoped-resources/config.openshift.io/clusteroperators/" + coName + ".yaml",
		"cluster-scoped-resources/config.openshift.io/proxies/" + proxyName + ".yaml",
		"cluster-scoped-resources/config.openshift.io/clusteroperators.yaml",
		"cluster-scoped-resources/config.openshift.io/proxies.yaml",
		"cluster-scoped-resources/config.openshift.io/infrastructures.yaml",
	} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// Logs hold the real container output.
	logs := map[string]string{
		"pods/crasher/main/main/logs/current.log":     "crash-output",
		"pods/crasher/main/main/logs/previous.log":    "crash-output",
		"pods/with-init/setup/setup/logs/current.log": "init-output",
		"pods/with-init/main/main/logs/current.log":   "main-output",
	}
	for f, want := range logs {
		if got := read(t, filepath.Join(dest, "namespaces", ns, f)); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to hold %q", f, got, want)
		}
	}
	secrets := read(t, filepath.Join(dest, "namespaces", ns, "core/secrets.yaml"))
	for _, want := range []string{base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%d bytes long", len(plantedSecret)))), base64.StdEncoding.EncodeToString([]byte("PUBLIC-CA"))} {
		if !strings.Contains(secrets, want) {
			t.Errorf("secrets.yaml lacks %q", want)
		}
	}
	proxyFile := read(t, filepath.Join(dest, "cluster-scoped-resources/config.openshift.io/proxies/"+proxyName+".yaml"))
	if !strings.Contains(proxyFile, "http://user:REDACTED@proxy:3128") {
		t.Errorf("proxy credentials not masked as expected:\n%s", proxyFile)
	}
	page := read(t, filepath.Join(dest, "event-filter.html"))
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "src=") {
		t.Error("event-filter.html refers to something outside itself")
	}
	if !strings.Contains(page, "crasher") {
		t.Error("event-filter.html does not list the crashing pod's events")
	}
	assertNoLeak(t, dest, plantedSecret, plantedProxyPass)
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil {
		t.Fatal(err)
	}
}

func TestInspectPlainClusterDefault(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	// A failing pod puts its namespace into the default gathering.
	createPod(t, clustertest.TestPod(t, ns, "failing", "exit", "1", "failing-output"))
	clustertest.WaitForPod(t, ns, "failing", 2*time.Minute, clustertest.Finished)
	// A healthy namespace stays out.
	quiet := clustertest.Namespace(t)

	dest, log, err := runInspect(t, clustertest.Config(t), inspect.Config{Cluster: true})
	if err != nil {
		t.Fatalf("inspect --cluster: %v\nlog:\n%s", err, log)
	}
	for _, f := range []string{
		"cluster-scoped-resources/core/nodes/" + node + ".yaml",
		"cluster-scoped-resources/rbac.authorization.k8s.io/clusterroles/cluster-admin.yaml",
		"namespaces/kube-system/kube-system.yaml",
		"namespaces/kube-public/kube-public.yaml",
		"namespaces/kube-node-lease/kube-node-lease.yaml",
		"namespaces/default/core/pods.yaml",
		"namespaces/default/core/services.yaml",
		"namespaces/" + ns + "/pods/failing/failing.yaml",
		"namespaces/" + ns + "/pods/failing/main/main/logs/current.log",
	} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "namespaces", quiet)); err == nil {
		t.Errorf("gathered the healthy namespace %s", quiet)
	}
	if got := read(t, filepath.Join(dest, "namespaces", ns, "pods/failing/main/main/logs/current.log")); !strings.Contains(got, "failing-output") {
		t.Errorf("failing pod log = %q", got)
	}
	n, err := cs.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, filepath.Join(dest, "cluster-scoped-resources/core/nodes/"+node+".yaml")), string(n.UID)) {
		t.Error("node file does not hold the node")
	}
}

func TestInspectTypeNotServedIsAWarning(t *testing.T) {
	t.Parallel()
	dest, log, err := runInspect(t, clustertest.Config(t), inspect.Config{}, "nosuchthings.example.invalid")
	if err != nil {
		t.Fatalf("a type the server does not serve must not be an error: %v", err)
	}
	if !strings.Contains(log, "skipping nosuchthings.example.invalid: the server does not serve it") {
		t.Errorf("no warning in the log:\n%s", log)
	}
	want := []string{"aggregated-discovery-api.yaml", "aggregated-discovery-apis.yaml", "event-filter.html", "timestamp"}
	if diff := cmp.Diff(want, files(t, dest)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

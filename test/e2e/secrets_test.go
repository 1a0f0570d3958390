package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/must-gather/toolkit/test/clustertest"
)

// With -v 9, client-go would log the bodies of its requests and responses
// (a Secret list among them) to stderr, which oc carries back as
// gather.logs. Its other lines stay; no body and no Secret value appears.
func TestVerboseGatherLogsNoBodies(t *testing.T) {
	t.Parallel()
	planted := plantSecret(t)
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-inspect"), []byte("inspect ns/kube-system\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), gatherBinary(t), "--dest-dir", filepath.Join(t.TempDir(), "out"),
		"--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "-v", "9")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gather -v 9: %v\n%s", err, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "-v 9: client-go logs no request or response bodies or headers") {
		t.Errorf("stderr does not say that client-go's bodies are not logged:\n%.2000s", log)
	}
	// klog's own lines are still there at the level asked for.
	if n := len(regexp.MustCompile(`(?m)^I\d{4} `).FindAllString(log, -1)); n < 5 {
		t.Errorf("%d klog lines on stderr, want client-go's log at -v 9:\n%.2000s", n, log)
	}
	for _, leak := range []string{"Response Body", "Request Body", "Response Headers", planted, base64.StdEncoding.EncodeToString([]byte(planted))} {
		if strings.Contains(log, leak) {
			t.Errorf("stderr of gather -v 9 holds %q", leak)
		}
	}
}

// An executable step writes straight into the destination, past every
// rule: the final leak scan finds the Secret value it wrote (inspect had
// elided it from the Secret), redacts it in place, and the manifest says
// where (file and rule, never the value).
func TestLeakScanRedactsAStepsFile(t *testing.T) {
	t.Parallel()
	planted := plantSecret(t)
	gd := t.TempDir()
	for _, f := range []struct {
		name, text string
		mode       os.FileMode
	}{
		{"10-inspect", "inspect ns/kube-system\n", 0o640},
		// It also says it on its stdout: the run log and stderr (which
		// oc keeps as gather.logs) get the line rules.
		{"20-leaks", "#!/bin/sh\necho \"the step saw password=" + planted + "\" > leaked-by-step.txt\necho \"the step says password=" + planted + "\"\n", 0o750},
	} {
		if err := os.WriteFile(filepath.Join(gd, f.name), []byte(f.text), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(t.TempDir(), "out")
	cmd := exec.CommandContext(t.Context(), gatherBinary(t), "--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gather: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dest, "leaked-by-step.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "the step saw password=REDACTED\n" {
		t.Errorf("leaked-by-step.txt = %q", got)
	}
	var m struct {
		LeaksRedacted []struct{ File, Rule string } `json:"leaksRedacted"`
	}
	mb, err := os.ReadFile(filepath.Join(dest, "gather-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range m.LeaksRedacted {
		found = found || (l.File == "leaked-by-step.txt" && l.Rule == "secret.data")
	}
	if !found {
		t.Errorf("the manifest does not record the leak in leaked-by-step.txt: %s", mb)
	}
	assertNoLeakDeep(t, readTree(t, dest), planted)
	for name, log := range map[string]string{"stderr": stderr.String(), "gather-run.log": string(readTree(t, dest)["gather-run.log"])} {
		if !strings.Contains(log, "the step says password=REDACTED") || strings.Contains(log, planted) {
			t.Errorf("%s does not hold the step's line, redacted:\n%s", name, log)
		}
	}
}

// canary is a random value no file of a result may hold.
func canary(t *testing.T, class string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "canary-" + class + "-" + hex.EncodeToString(b)
}

// The full default gather, with the test cluster's careless audit policy
// (Secrets, ConfigMaps, token reviews and pods logged with their bodies),
// run by the client in a pod as oc adm must-gather runs an image: a canary
// planted in every class of secret the redaction knows appears in no file
// of the result (.gz read too) and nowhere in what the client printed, and
// the context around each is still there.
func TestFullGatherLeaksNoCanary(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t) // the default gather.d reads the node
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	ctx := t.Context()
	c := map[string]string{}
	for _, class := range []string{"secret", "annotation", "env", "arg", "kubeconfig", "urlat", "tokenreview",
		"logurl", "logbearer", "logpass", "logpem", "nested", "mapkey", "properties"} {
		c[class] = canary(t, class)
	}

	// Objects: a Secret with a service account token annotation, a
	// ConfigMap holding a kubeconfig and a URL whose password has a raw @.
	mustCreate := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("creating %s: %v", what, err)
		}
	}
	_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sa-token", Annotations: map[string]string{"openshift.io/token-secret.value": c["annotation"]}},
		StringData: map[string]string{"token": c["secret"]},
	}, metav1.CreateOptions{})
	mustCreate("the Secret", err)
	kubeconfig := "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: " + c["kubeconfig"] + "\n"
	_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data: map[string]string{"kubeconfig": kubeconfig, "proxy": "http://proxyuser:p@" + c["urlat"] + "@proxy.example.com:3128",
			"application.properties": "db.url=jdbc:postgresql://db:5432/app\ndb.password=" + c["properties"] + "\n"},
	}, metav1.CreateOptions{})
	mustCreate("the ConfigMap", err)

	// A token review (its object is logged by the audit policy).
	_, err = cs.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: c["tokenreview"]}}, metav1.CreateOptions{})
	mustCreate("the TokenReview", err)

	// A pod whose log prints secrets (from a Secret volume: its spec holds
	// none), with a credential in its env and its args; one container fails,
	// so --cluster gathers its namespace.
	lines := strings.Join([]string{
		"pulling from https://robot:" + c["logurl"] + "@registry.example.com/v2/",
		"GET /api Authorization: Bearer " + c["logbearer"],
		"connecting with password=" + c["logpass"],
		"-----BEGIN RSA PRIVATE KEY-----",
		c["logpem"],
		"-----END RSA PRIVATE KEY-----",
		"done",
	}, "\n") + "\n"
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "lines"}, StringData: map[string]string{"lines": lines}}, metav1.CreateOptions{})
	mustCreate("the lines Secret", err)
	p := clustertest.TestPod(t, ns, "leaky", "cat", "/lines/lines")
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", Value: c["env"]}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "lines", MountPath: "/lines"}}
	p.Spec.Volumes = []corev1.Volume{{Name: "lines", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "lines"}}}}
	failing := clustertest.TestPod(t, ns, "x", "exit", "1", "failing on purpose")
	failing.Spec.Containers[0].Name = "fails"
	failing.Spec.Containers[0].Args = []string{"--password=" + c["arg"]}
	p.Spec.Containers = append(p.Spec.Containers, failing.Spec.Containers[0])
	_, err = cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	mustCreate("the pod", err)
	clustertest.WaitForPod(t, ns, "leaky", 2*time.Minute, clustertest.Finished)

	// Objects inside an object, and a map key holding a URL with
	// credentials, in a custom resource.
	holder := installCanaryHolders(t)
	_, err = holder.Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "e2e.mgtk.io/v1", "kind": "CanaryHolder", "metadata": map[string]any{"name": "holder"},
		"spec": map[string]any{
			"objects":   []any{map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "inner"}, "data": map[string]any{"k": base64.StdEncoding.EncodeToString([]byte(c["nested"]))}}},
			"endpoints": map[string]any{"https://u:" + c["mapkey"] + "@h.example.com": "primary"},
		},
	}}, metav1.CreateOptions{})
	mustCreate("the CanaryHolder", err)

	// As oc adm must-gather runs it: the client runs our image with its
	// default command in a pod, and copies the result back.
	ref := gatherImage(t)
	dest := filepath.Join(t.TempDir(), "must-gather")
	cmd := exec.CommandContext(ctx, clientBinary(t, ref), "--dest-dir", dest, "--image", ref, "--kubeconfig", kubeconfigPath(t), "--timeout", "6m")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Partial is fine: tests running beside this one make and remove
	// objects a whole-cluster gather may follow; what matters here is
	// what was written.
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
			t.Fatalf("kubectl-must_gather: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
		}
	}
	// The whole destination is checked (the client's must-gather.logs and
	// the gather container's gather.logs too), and what the client printed.
	all := readTree(t, dest)
	all["(stdout)"], all["(stderr)"] = stdout.Bytes(), stderr.Bytes()
	tree := readTree(t, imageFolder(t, dest))
	for _, f := range []string{"gather.logs", "gather-manifest.json"} {
		if len(tree[f]) == 0 {
			t.Errorf("the image folder has no %s", f)
		}
	}
	// The rules caught every value where it was written: the final scan,
	// the backstop, found none left.
	var m struct {
		LeaksRedacted []any `json:"leaksRedacted"`
	}
	if err := json.Unmarshal(tree["gather-manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if len(m.LeaksRedacted) != 0 {
		t.Errorf("the leak scan had to redact values the rules let through: %v", m.LeaksRedacted)
	}
	for class, v := range c {
		t.Run(class, func(t *testing.T) { assertNoLeakDeep(t, all, v) })
	}

	// The context stays: the log lines, the env name, the events.
	logFile := "namespaces/" + ns + "/pods/leaky/main/main/logs/current.log"
	log := string(tree[logFile])
	for _, want := range []string{"https://robot:REDACTED@registry.example.com/v2/", "Authorization: Bearer REDACTED", "password=REDACTED", "-----BEGIN RSA PRIVATE KEY-----", "done"} {
		if !strings.Contains(log, want) {
			t.Errorf("%s lacks %q:\n%s", logFile, want, log)
		}
	}
	if cms := string(tree["namespaces/"+ns+"/core/configmaps.yaml"]); !strings.Contains(cms, "db.url=jdbc:postgresql://db:5432/app") || !strings.Contains(cms, "db.password=REDACTED") {
		t.Errorf("configmaps.yaml lost the context of the properties file:\n%.3000s", cms)
	}
	if pods := string(tree["namespaces/"+ns+"/core/pods.yaml"]); !strings.Contains(pods, "DB_PASSWORD") || !strings.Contains(pods, "--password=") {
		t.Errorf("pods.yaml lost the env name or the flag:\n%.3000s", pods)
	}
	var audit strings.Builder
	for name, raw := range tree {
		if strings.HasPrefix(name, "audit_logs/kube-apiserver/") && strings.HasSuffix(name, ".gz") {
			audit.WriteString(gunzipBytes(t, name, raw))
		}
	}
	for _, want := range []string{`"resource":"secrets","namespace":"` + ns + `","name":"sa-token"`, `"resource":"tokenreviews"`, `"resource":"pods","namespace":"` + ns + `","name":"leaky"`} {
		if !strings.Contains(audit.String(), want) {
			t.Errorf("the audit logs lack an event with %s", want)
		}
	}
}

// installCanaryHolders installs a namespaced custom resource type whose
// objects may hold anything (objects inside, any map key), and removes it
// after the test.
func installCanaryHolders(t *testing.T) dynamic.NamespaceableResourceInterface {
	t.Helper()
	dc, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	crd := simpleCRD("e2e.mgtk.io", "canaryholders", "CanaryHolder", "Namespaced")
	if _, err := dc.Resource(crdGVR).Create(t.Context(), crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dc.Resource(crdGVR).Delete(context.Background(), "canaryholders.e2e.mgtk.io", metav1.DeleteOptions{})
	})
	gvr := schema.GroupVersionResource{Group: "e2e.mgtk.io", Version: "v1", Resource: "canaryholders"}
	// The first create right after the CRD is established can be refused.
	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dc.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the CanaryHolder type is not served: %v", err)
	}
	return dc.Resource(gvr)
}

// An aggregated API may serve any name: one that would climb out of its
// directory ("../../../escape") is refused with a recorded error, and the
// other objects of the list are written.
func TestInspectRefusesNamesOfAnAggregatedAPI(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	ctx := t.Context()
	const evil = "../../../escape"
	p := clustertest.TestPod(t, ns, "fake-api", "aggregated-api", ":8443", evil, "fine", "also-fine")
	p.Labels = map[string]string{"app": "fake-api"}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "fake-api"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "fake-api"},
			Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(8443)}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitForPod(t, ns, "fake-api", 2*time.Minute, clustertest.Running)

	dc, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	apiServices := dc.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	const name = "v1.evil.e2e.mgtk.io"
	_, err = apiServices.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"group": "evil.e2e.mgtk.io", "version": "v1", "insecureSkipTLSVerify": true,
			"groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
			"service": map[string]any{"namespace": ns, "name": "fake-api", "port": int64(443)},
		},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Registered last, removed first: the API goes before its pod does.
	t.Cleanup(func() { _ = apiServices.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := dc.Resource(schema.GroupVersionResource{Group: "evil.e2e.mgtk.io", Version: "v1", Resource: "things"}).List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	if err != nil {
		as, _ := apiServices.Get(ctx, name, metav1.GetOptions{})
		t.Fatalf("the aggregated API is not served: %v\n%v", err, as)
	}

	dest := filepath.Join(t.TempDir(), "out")
	cmd := exec.CommandContext(ctx, gatherBinary(t), "inspect", "things.evil.e2e.mgtk.io", "--dest-dir", dest, "--kubeconfig", kubeconfigPath(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("inspect: %v, want exit code 3 (partial)\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), `things.evil.e2e.mgtk.io/`+evil+`: name "`+evil+`": not usable as a file name`) {
		t.Errorf("stderr does not name the refused object:\n%s", stderr.String())
	}
	got := files(t, dest)
	for _, want := range []string{"cluster-scoped-resources/evil.e2e.mgtk.io/things/fine.yaml", "cluster-scoped-resources/evil.e2e.mgtk.io/things/also-fine.yaml"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is not written: %v", want, got)
		}
	}
	for _, f := range got {
		if strings.Contains(f, "escape") {
			t.Errorf("the refused name made a file: %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dest), "escape.yaml")); err == nil {
		t.Error("a file was written outside the destination")
	}
}

// What the gather container prints (here: the errors of an inspect given
// arguments with credentials in them, after it gathered a namespace)
// reaches the user as the client's stdout and the image folder's
// gather.logs: both get the line rules, and the rest of each line stays. No
// file of the result and nothing the client printed holds the values.
func TestClientLogsLeakNoCanary(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	pass, oauth := canary(t, "gatherlogpass"), canary(t, "gatherlogoauth")
	ref := gatherImage(t)
	dest := filepath.Join(t.TempDir(), "must-gather")
	cmd := exec.CommandContext(t.Context(), clientBinary(t, ref), "--dest-dir", dest, "--image", ref, "--kubeconfig", kubeconfigPath(t), "--timeout", "3m",
		"--", "/usr/bin/gather", "inspect", "--dest-dir", "/must-gather", "ns/kube-system", "configmaps/password="+pass, "configmaps/sha256~"+oauth)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// The gather is partial (two arguments are refused); what it wrote
	// and printed was copied.
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("kubectl-must_gather: %v, want exit code 3 (the gather failed)\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	all := readTree(t, dest)
	all["(stdout)"], all["(stderr)"] = stdout.Bytes(), stderr.Bytes()
	for _, v := range []string{pass, oauth} {
		assertNoLeakDeep(t, all, v)
	}
	gatherLogs := filepath.Join(filepath.Base(imageFolder(t, dest)), "gather.logs")
	for _, name := range []string{gatherLogs, "(stdout)"} {
		for _, want := range []string{"password=REDACTED", "sha256~REDACTED"} {
			if !bytes.Contains(all[name], []byte(want)) {
				t.Errorf("%s lacks %q:\n%s", name, want, all[name])
			}
		}
	}
}

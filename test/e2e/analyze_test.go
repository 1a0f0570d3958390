package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/must-gather/toolkit/pkg/analyze"
	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/test/clustertest"
)

// selfSignedCert returns a PEM certificate of cn that expires at notAfter
// and its PEM private key (a throwaway key made for the test).
func selfSignedCert(t *testing.T, cn string, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// pagecheckResult is what test/browser's pagecheck prints (its
// browser.Result: this module does not depend on chromedp).
type pagecheckResult struct {
	Text     string   `json:"text"`
	Requests []string `json:"requests"`
	Seconds  float64  `json:"seconds"`
}

// chromium says whether a Chromium that pagecheck can start is on PATH
// (the names test/browser looks for).
func chromium() error {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if _, err := exec.LookPath(name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no chromium on PATH (hack/install-deps.sh installs Debian's chromium)")
}

// buildPagecheck starts building test/browser's pagecheck in the
// background and returns a function that waits for its path.
func buildPagecheck(t *testing.T) func() (string, error) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pagecheck")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pagecheck")
	cmd.Dir = filepath.Join(repoRoot(t), "test", "browser")
	var out []byte
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		out, err = cmd.CombinedOutput()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() (string, error) {
		<-done
		if err != nil {
			return "", fmt.Errorf("building pagecheck: %w\n%s", err, out)
		}
		return bin, nil
	}
}

// The problems the analysis looks for, planted in a namespace of the test
// cluster (a crash loop, an OOM kill, an impossible node selector, a
// webhook whose service has no endpoint, certificates expiring in 10 days
// in a TLS Secret and a ConfigMap) and a degraded ClusterOperator: the
// default gather finds each in analysis.json with its object, and its
// index.html, rendered in headless Chromium, shows each and loads nothing.
func TestAnalyzeFindsPlantedProblems(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	dyn, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	noChromium := chromium()
	var pagecheck func() (string, error)
	if noChromium == nil {
		pagecheck = buildPagecheck(t)
	}
	clustertest.InstallOpenShiftCRDs(t)
	start := time.Now()

	// The crash loop: exits at once, restarted by the kubelet.
	crasher := clustertest.TestPod(t, ns, "crasher", "exit", "1", "planted crash")
	crasher.Spec.RestartPolicy = corev1.RestartPolicyAlways
	createPod(t, crasher)
	// The OOM kill: bash holds 100 MB in a variable under a 32Mi limit.
	hog := clustertest.TestPod(t, ns, "hog")
	hog.Spec.Containers[0].Image = shellImage(t)
	hog.Spec.Containers[0].Command = []string{"/bin/bash", "-c", `x=$(head -c 100000000 /dev/zero | tr '\0' a); echo "held ${#x} bytes"`}
	hog.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}
	createPod(t, hog)
	// The impossible node selector: left to the scheduler, which finds no node.
	pending := clustertest.TestPod(t, ns, "unschedulable")
	pending.Spec.NodeName = ""
	pending.Spec.NodeSelector = map[string]string{"mgtk.test/no-such-node": ns}
	createPod(t, pending)

	// The certificates, expiring in 10 days (and an hour, so that they
	// still do when the gather ends).
	notAfter := time.Now().Add(10*24*time.Hour + time.Hour).Truncate(time.Second).UTC()
	secretCN, configMapCN := "tls-soon."+ns+".e2e.mgtk.io", "ca-soon."+ns+".e2e.mgtk.io"
	crt, key := selfSignedCert(t, secretCN, notAfter)
	caCrt, _ := selfSignedCert(t, configMapCN, notAfter)
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "tls-soon"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: crt, corev1.TLSPrivateKeyKey: key},
		}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "ca-soon"}, Data: map[string]string{"ca.crt": string(caCrt)},
		}, metav1.CreateOptions{})
		return err
	})

	// The webhook: its service selects no pod. Ignore, and called only
	// for ConfigMaps created in this namespace, so no one else's request
	// meets it.
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Services(ns).Create(t.Context(), &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "hook"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "no-such-pod"},
				Ports: []corev1.ServicePort{{Port: 443}}},
		}, metav1.CreateOptions{})
		return err
	})
	webhookConfig, webhook := "mgtk-e2e-analyze-"+randomSuffix(), "hook."+ns+".e2e.mgtk.io"
	ignore, none, timeout := admissionv1.Ignore, admissionv1.SideEffectClassNone, int32(2)
	mustCreate(t, func() error {
		_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(t.Context(), &admissionv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: webhookConfig},
			Webhooks: []admissionv1.ValidatingWebhook{{
				Name:                    webhook,
				ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: ns, Name: "hook"}},
				Rules:                   []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create}, Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
				FailurePolicy:           &ignore,
				NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}},
				SideEffects:             &none,
				TimeoutSeconds:          &timeout,
				AdmissionReviewVersions: []string{"v1"},
			}},
		}, metav1.CreateOptions{})
		return err
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, webhookConfig, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting webhook configuration %s: %v", webhookConfig, err)
		}
	})

	// Wait until each pod shows its problem: the crash loop past its
	// second restart and not running (its next back-off is about 20 s),
	// the OOM kill, the scheduler's verdict.
	restarted := clustertest.WaitForPod(t, ns, "crasher", 90*time.Second, func(p *corev1.Pod) bool {
		s := p.Status.ContainerStatuses
		return len(s) == 1 && s[0].RestartCount >= 2 && s[0].State.Running == nil
	})
	hogEnd := clustertest.WaitForPod(t, ns, "hog", 60*time.Second, clustertest.Finished)
	clustertest.WaitForPod(t, ns, "unschedulable", 30*time.Second, func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return true
			}
		}
		return false
	})
	// The node enforces memory limits when the hog was killed for it
	// (its cgroup's OOM killer); otherwise it ended on its own.
	oomSkip := ""
	if s := hogEnd.Status.ContainerStatuses; len(s) != 1 || s[0].State.Terminated == nil || s[0].State.Terminated.Reason != "OOMKilled" {
		oomSkip = fmt.Sprintf("the node did not enforce the 32Mi memory limit (the hog pod ended: %v), so nothing was OOMKilled", s)
	}
	t.Logf("planted in %s (crasher at %d restarts)", time.Since(start).Round(100*time.Millisecond), restarted.Status.ContainerStatuses[0].RestartCount)

	// The ClusterOperator lives only while the gather runs: every other
	// gather of the cluster meanwhile gathers it too.
	co := "mgtk-e2e-analyze-" + randomSuffix()
	obj, err := clustertest.CreateWithRetry(t.Context(), dyn.Resource(coGVR), &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
		"metadata": map[string]any{"name": co}, "spec": map[string]any{},
	}})
	if err != nil {
		t.Fatalf("creating ClusterOperator %s: %v", co, err)
	}
	deleteCO := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dyn.Resource(coGVR).Delete(ctx, co, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting ClusterOperator %s: %v", co, err)
		}
	}
	t.Cleanup(deleteCO)
	coMessage := "planted by " + t.Name() + " in " + ns
	obj.Object["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Available", "status": "True", "reason": "AsExpected", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)},
		map[string]any{"type": "Degraded", "status": "True", "reason": "Planted", "message": coMessage, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)},
	}}
	if _, err := dyn.Resource(coGVR).UpdateStatus(t.Context(), obj, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("degrading ClusterOperator %s: %v", co, err)
	}

	// The default gather, on the host.
	dest := filepath.Join(t.TempDir(), "must-gather")
	var out, errOut bytes.Buffer
	gatherStart := time.Now()
	code := app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		[]string{"--dest-dir", dest, "--kubeconfig", kubeconfigPath(t), "--volume-percentage", "100", "--timeout", "3m"})
	gatherTook := time.Since(gatherStart)
	deleteCO()
	if code != cli.ExitOK && code != cli.ExitPartial {
		t.Fatalf("gather: exit code %d\n%s", code, errOut.String())
	}
	t.Logf("the default gather took %s (exit %d)", gatherTook.Round(100*time.Millisecond), code)

	var report analyze.Report
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dest, analyze.JSONFile))), &report); err != nil {
		t.Fatalf("reading %s: %v", analyze.JSONFile, err)
	}

	// What the analysis must say of each planted problem: its check,
	// severity and objects, and the start of its title.
	expiry := notAfter.Format(time.RFC3339)
	type planted struct {
		name     string
		check    string
		severity analyze.Severity
		objects  []analyze.Object
		title    string // a prefix of the title
		message  string // a part of the message
		skip     string
	}
	pod := func(name string) []analyze.Object { return []analyze.Object{{Kind: "Pod", Namespace: ns, Name: name}} }
	wants := []planted{
		{name: "crash loop", check: "pod-crashloop", severity: analyze.Critical, objects: pod("crasher"),
			title: "container main of pod " + ns + "/crasher is crash-looping (", message: "last exit code 1 (Error)"},
		{name: "OOM kill", check: "pod-oomkilled", severity: analyze.Warning, objects: pod("hog"),
			title: "container main of pod " + ns + "/hog was OOMKilled (exit code 137", message: "memory limit 32Mi", skip: oomSkip},
		{name: "impossible node selector", check: "pod-unschedulable", severity: analyze.Warning, objects: pod("unschedulable"),
			title: "pod " + ns + "/unschedulable is pending: Unschedulable", message: "node affinity/selector"},
		{name: "webhook without endpoints", check: "webhook-no-endpoints", severity: analyze.Warning,
			objects: []analyze.Object{{Kind: "ValidatingWebhookConfiguration", Name: webhookConfig}, {Kind: "Service", Namespace: ns, Name: "hook"}},
			title:   "admission webhook " + webhook + " (ValidatingWebhookConfiguration " + webhookConfig + ", failurePolicy Ignore) fails: its service " + ns + "/hook has no ready endpoint"},
		{name: "certificate of a TLS Secret", check: "certificate-expiring", severity: analyze.Warning,
			objects: []analyze.Object{{Kind: "Secret", Namespace: ns, Name: "tls-soon"}},
			title:   fmt.Sprintf("certificate %q in Secret %s/tls-soon[tls.crt] expires on %s, in 10 days", secretCN, ns, expiry), message: "issuer CN=" + secretCN},
		{name: "certificate of a ConfigMap", check: "certificate-expiring", severity: analyze.Warning,
			objects: []analyze.Object{{Kind: "ConfigMap", Namespace: ns, Name: "ca-soon"}},
			title:   fmt.Sprintf("certificate %q in ConfigMap %s/ca-soon[ca.crt] expires on %s, in 10 days", configMapCN, ns, expiry), message: "issuer CN=" + configMapCN},
		{name: "degraded ClusterOperator", check: "clusteroperator-degraded", severity: analyze.Critical,
			objects: []analyze.Object{{Kind: "ClusterOperator", Name: co}},
			title:   "cluster operator " + co + " is Degraded (Planted)", message: coMessage},
	}

	// Every finding about a planted object, but the ranking of Warning
	// events (which any of them may have), is one of those wanted.
	ours := func(o analyze.Object) bool { return o.Namespace == ns || o.Name == co || o.Name == webhookConfig }
	var got, want []string
	found := map[string]analyze.Finding{}
	for _, f := range report.Findings {
		if f.Check == "warning-events" || !slices.ContainsFunc(f.Objects, ours) {
			continue
		}
		key := fmt.Sprintf("%s %s %v", f.Check, f.Severity, f.Objects)
		got = append(got, key)
		found[key] = f
	}
	for _, w := range wants {
		if w.skip == "" {
			want = append(want, fmt.Sprintf("%s %s %v", w.check, w.severity, w.objects))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings about the planted objects (check, severity, objects) (-want +got):\n%s", diff)
	}
	var shown []analyze.Finding
	for _, w := range wants {
		t.Run(w.name, func(t *testing.T) {
			if w.skip != "" {
				t.Skip(w.skip)
			}
			f, ok := found[fmt.Sprintf("%s %s %v", w.check, w.severity, w.objects)]
			if !ok {
				t.Fatalf("no %s finding about %v", w.check, w.objects)
			}
			shown = append(shown, f)
			t.Logf("%s %s: %s (%s)", f.Severity, f.Check, f.Title, f.Message)
			if !strings.HasPrefix(f.Title, w.title) || !strings.Contains(f.Message, w.message) {
				t.Errorf("finding %q (message %q), want a title starting %q and a message with %q", f.Title, f.Message, w.title, w.message)
			}
			if len(f.Files) == 0 {
				t.Error("the finding names no file")
			}
			for _, p := range f.Files {
				if _, err := os.Stat(filepath.Join(dest, p)); err != nil {
					t.Errorf("file %s of the finding: %v", p, err)
				}
			}
		})
	}

	t.Run("page", func(t *testing.T) {
		if noChromium != nil {
			t.Skipf("index.html is not rendered: %v", noChromium)
		}
		bin, err := pagecheck()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		raw, err := exec.CommandContext(ctx, bin, filepath.Join(dest, analyze.PageFile)).Output()
		if err != nil {
			t.Fatalf("pagecheck: %v", err)
		}
		var page pagecheckResult
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatalf("pagecheck's output: %v\n%s", err, raw)
		}
		t.Logf("index.html rendered in %.0f ms", page.Seconds*1000)
		if len(page.Requests) != 0 {
			t.Errorf("the page made %d requests: %q", len(page.Requests), page.Requests)
		}
		if len(shown) == 0 {
			t.Fatal("no planted finding to look for")
		}
		for _, f := range shown {
			for _, s := range []string{f.Title, f.Message} {
				if !strings.Contains(page.Text, s) {
					t.Errorf("the page does not show %q", s)
				}
			}
		}
	})
}

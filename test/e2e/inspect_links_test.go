package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/test/clustertest"
)

// Webhook configurations and CRDs with a conversion webhook lead to the
// namespaces of their services.
func TestInspectFollowsWebhookServices(t *testing.T) {
	t.Parallel()
	cfg := clustertest.Config(t)
	cs := clustertest.Client(t)
	ctx := t.Context()
	hookNS := clustertest.Namespace(t)
	convNS := clustertest.Namespace(t)
	suffix := hookNS[len(hookNS)-6:]

	none := admissionregistrationv1.SideEffectClassNone
	ignore := admissionregistrationv1.Ignore
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "test-" + suffix},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "check.example.invalid",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: hookNS, Name: "hook"}},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"CREATE"}, Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.invalid"}, APIVersions: []string{"v1"}, Resources: []string{"nothings"}}}},
			SideEffects:             &none,
			FailurePolicy:           &ignore,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), vwc.Name, metav1.DeleteOptions{})
	})

	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	group := "conv" + suffix + ".example.com"
	schemaObj := map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{
				map[string]any{"name": "v1", "served": true, "storage": true, "schema": schemaObj},
				map[string]any{"name": "v2", "served": true, "storage": false, "schema": schemaObj},
			},
			"conversion": map[string]any{"strategy": "Webhook", "webhook": map[string]any{
				"conversionReviewVersions": []any{"v1"},
				"clientConfig":             map[string]any{"service": map[string]any{"namespace": convNS, "name": "converter", "port": int64(443)}},
			}},
		},
	}}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{}) })

	dest, log, err := runInspect(t, cfg, inspect.Config{},
		"validatingwebhookconfigurations/"+vwc.Name+",customresourcedefinitions/"+crd.GetName())
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, log)
	}
	for _, f := range []string{
		"cluster-scoped-resources/admissionregistration.k8s.io/validatingwebhookconfigurations/" + vwc.Name + ".yaml",
		"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/" + crd.GetName() + ".yaml",
		"namespaces/" + hookNS + "/" + hookNS + ".yaml",
		"namespaces/" + convNS + "/" + convNS + ".yaml",
		"namespaces/" + convNS + "/core/configmaps.yaml",
	} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// A user who may not read Secrets still gets everything else, and the
// refusal is recorded, not fatal.
func TestInspectForbiddenIsRecorded(t *testing.T) {
	t.Parallel()
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	serviceAccount(t, ns, "viewer")
	// "view" in the namespace (no Secrets), and get on the namespace itself.
	if _, err := cs.RbacV1().RoleBindings(ns).Create(t.Context(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bindClusterRole(t, ns, "viewer", ns+"-get",
		[]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{ns}, Verbs: []string{"get"}}})
	viewer := serviceAccountConfig(t, ns, "viewer", func(ctx context.Context, vcs kubernetes.Interface) error {
		if _, err := vcs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := vcs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err
	})

	dest, log, err := runInspect(t, viewer, inspect.Config{}, "ns/"+ns)
	if err == nil || !strings.Contains(err.Error(), "listing secrets in "+ns+": forbidden") {
		t.Fatalf("error = %v, want the forbidden Secrets recorded\n%s", err, log)
	}
	for _, f := range []string{ns + ".yaml", "core/configmaps.yaml", "core/pods.yaml", "apps/deployments.yaml"} {
		if _, err := os.Stat(filepath.Join(dest, "namespaces", ns, f)); err != nil {
			t.Errorf("missing %s despite the refusal elsewhere", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "namespaces", ns, "core/secrets.yaml")); err == nil {
		t.Error("wrote a secrets list the user may not read")
	}
}

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

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
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
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
	cfg := clustertest.Config(t)
	cs := clustertest.Client(t)
	ctx := t.Context()
	ns := clustertest.Namespace(t)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// "view" in the namespace (no Secrets), and get on the namespace itself.
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cr := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-get"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{ns}, Verbs: []string{"get"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(context.Background(), cr.Name, metav1.DeleteOptions{}) })
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-get"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cr.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: ns}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
	})
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "viewer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	viewer := rest.AnonymousClientConfig(cfg)
	viewer.BearerToken = tok.Status.Token
	// The bindings hold once the apiserver's authorizer sees them.
	vcs, err := kubernetes.NewForConfig(viewer)
	if err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, nerr := vcs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		_, cerr := vcs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return nerr == nil && cerr == nil, nil
	}); err != nil {
		t.Fatalf("the viewer's bindings never took effect: %v", err)
	}

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

package clustertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// OpenShiftCRDDir is where the real config.openshift.io CRDs are: the
// shared test data beside the repository, or $OPENSHIFT_CRDS_DIR.
func OpenShiftCRDDir() (string, error) {
	if d := os.Getenv("OPENSHIFT_CRDS_DIR"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared", "testdata", "openshift-crds")
	if _, err := os.Stat(d); err != nil {
		return "", fmt.Errorf("the OpenShift CRDs are not at %s (set OPENSHIFT_CRDS_DIR): %w", d, err)
	}
	return d, nil
}

// InstallOpenShiftCRDs installs every CRD of OpenShiftCRDDir (idempotent)
// and waits until each is Established. It returns the CRD names.
func InstallOpenShiftCRDs(t testing.TB) []string {
	t.Helper()
	dir, err := OpenShiftCRDDir()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(Config(t))
	if err != nil {
		t.Fatal(err)
	}
	names, err := installCRDs(t.Context(), dc, dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func installCRDs(ctx context.Context, dc dynamic.Interface, dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &obj.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if obj.GetKind() != "CustomResourceDefinition" {
			continue
		}
		_, err = dc.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating CRD %s from %s: %w", obj.GetName(), filepath.Base(f), err)
		}
		names = append(names, obj.GetName())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition in %s", dir)
	}
	for _, n := range names {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			crd, err := dc.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return nil, fmt.Errorf("CRD %s not Established: %w", n, err)
		}
	}
	return names, nil
}

// CreateWithRetry creates a custom resource, retrying for a few seconds:
// right after its CRD is Established the apiserver can still refuse it.
func CreateWithRetry(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	var out *unstructured.Unstructured
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		out, last = ri.Create(ctx, obj, metav1.CreateOptions{})
		if last == nil {
			return true, nil
		}
		if apierrors.IsNotFound(last) || apierrors.IsMethodNotSupported(last) {
			return false, nil
		}
		return false, last
	})
	if err != nil && last != nil {
		return nil, last
	}
	return out, err
}

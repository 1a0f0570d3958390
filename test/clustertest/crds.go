package clustertest

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
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

// minimalCRDs are the config.openshift.io CRDs of the types the tests use
// (ClusterOperator, Proxy, Infrastructure), written by hand: real group,
// names, scope and status subresource, and only the schema the tests touch,
// so that the repository tests on its own.
//
//go:embed crds/*.yaml
var minimalCRDs embed.FS

// openShiftCRDs returns the config.openshift.io CRDs to install, and where
// they come from: the files of $OPENSHIFT_CRDS_DIR (the full upstream set,
// from openshift/api) when set, else minimalCRDs.
func openShiftCRDs() (fs.FS, string, error) {
	if d := os.Getenv("OPENSHIFT_CRDS_DIR"); d != "" {
		return os.DirFS(d), d, nil
	}
	sub, err := fs.Sub(minimalCRDs, "crds")
	return sub, "the minimal CRDs of test/clustertest/crds", err
}

// InstallOpenShiftCRDs installs the config.openshift.io CRDs
// (openShiftCRDs; idempotent) and waits until each is Established. It
// returns the CRD names.
func InstallOpenShiftCRDs(t testing.TB) []string {
	t.Helper()
	fsys, from, err := openShiftCRDs()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(Config(t))
	if err != nil {
		t.Fatal(err)
	}
	names, err := installCRDs(t.Context(), dc, fsys, from)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// readCRDs reads the CustomResourceDefinitions of the YAML files of fsys
// (from names it in errors), in the order of their file names.
func readCRDs(fsys fs.FS, from string) ([]*unstructured.Unstructured, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var crds []*unstructured.Unstructured
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &obj.Object); err != nil {
			return nil, fmt.Errorf("%s in %s: %w", f, from, err)
		}
		if obj.GetKind() != "CustomResourceDefinition" {
			continue
		}
		crds = append(crds, obj)
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition in %s", from)
	}
	return crds, nil
}

func installCRDs(ctx context.Context, dc dynamic.Interface, fsys fs.FS, from string) ([]string, error) {
	crds, err := readCRDs(fsys, from)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, obj := range crds {
		_, err = dc.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating CRD %s from %s: %w", obj.GetName(), from, err)
		}
		names = append(names, obj.GetName())
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

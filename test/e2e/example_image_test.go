package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/mustgather"
	"github.com/must-gather/toolkit/test/clustertest"
)

// exampleNamespace is where the example operator runs: its image's steps
// (images/example-operator/gather.d) name it.
const exampleNamespace = "example-operator"

// installExampleOperator makes what the example image's steps gather: the
// CRD widgets.example.com with a widget, and in example-operator a pod
// (app=example-operator, container operator) that keeps a status file and
// a log file and serves /metrics on 8080 behind the Service
// example-operator (port name http).
func installExampleOperator(t *testing.T) {
	t.Helper()
	cs := clustertest.Client(t)
	dc, err := dynamic.NewForConfig(clustertest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: exampleNamespace}}, metav1.CreateOptions{})
		return err
	})
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), exampleNamespace, metav1.DeleteOptions{})
	})
	crd := simpleCRD("example.com", "widgets", "Widget", "Namespaced")
	mustCreate(t, func() error {
		_, err := dc.Resource(crdGVR).Create(t.Context(), crd, metav1.CreateOptions{})
		return err
	})
	t.Cleanup(func() {
		_ = dc.Resource(crdGVR).Delete(context.Background(), "widgets.example.com", metav1.DeleteOptions{})
	})
	widget := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"size": int64(3)}}}
	if _, err := clustertest.CreateWithRetry(t.Context(), dc.Resource(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}).Namespace(exampleNamespace), widget); err != nil {
		t.Fatalf("creating widget w1: %v", err)
	}

	p := clustertest.TestPod(t, exampleNamespace, "example-operator-0")
	p.Labels = map[string]string{"app": "example-operator"}
	c := &p.Spec.Containers[0]
	c.Name, c.Image = "operator", shellImage(t)
	c.Command = []string{"/bin/sh", "-c", "mkdir -p /run/example-operator /var/log/example-operator /www && " +
		"echo 'widgets reconciled: 1' > /run/example-operator/status && " +
		"echo 'reconciling widget example-operator/w1' > /var/log/example-operator/operator.log && " +
		"echo 'example_operator_widgets_total 1' > /www/metrics && exec httpd -f -p 8080 -h /www"}
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	createPod(t, p)
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Services(exampleNamespace).Create(t.Context(), &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "example-operator"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "example-operator"},
				Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromString("http")}}},
		}, metav1.CreateOptions{})
		return err
	})
	clustertest.WaitForPod(t, exampleNamespace, "example-operator-0", 2*time.Minute, clustertest.Running)
	deadline := time.Now().Add(30 * time.Second)
	for !bytes.Contains(clustertest.Exec(t, exampleNamespace, "example-operator-0", "operator", "ls", "/www"), []byte("metrics")) {
		if time.Now().After(deadline) {
			t.Fatal("the example operator never wrote its files")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// foldersByProduct maps the product each image folder's version file names
// to the folder.
func foldersByProduct(t *testing.T, dest string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dest, e.Name(), "version"))
		if err != nil {
			t.Errorf("image folder %s has no version file: %v", e.Name(), err)
			continue
		}
		product, _, _ := strings.Cut(string(b), "\n")
		out[product] = filepath.Join(dest, e.Name())
	}
	return out
}

// logFailedSteps logs the steps that did not succeed in each image folder
// of dest: why a run was partial.
func logFailedSteps(t *testing.T, dest string) {
	t.Helper()
	manifests, _ := filepath.Glob(filepath.Join(dest, "*", "gather-manifest.json"))
	for _, mf := range manifests {
		m := readManifestFile(t, filepath.Dir(mf))
		for _, s := range m.Steps {
			if s.Status != "ok" {
				t.Logf("%s: step %s %s: %s", filepath.Base(filepath.Dir(mf)), s.Name, s.Status, s.Error)
			}
		}
	}
}

// checkExampleFolder checks what the example image's own steps wrote, and
// that ours ran before them.
func checkExampleFolder(t *testing.T, dir, version string) {
	t.Helper()
	files := readTree(t, dir)
	if got, want := string(files["version"]), "example-operator\n"+version+"\n"; got != want {
		t.Errorf("%s: version file %q, want %q", dir, got, want)
	}
	want := map[string]string{
		"example-operator/example-operator-0/status.txt":                          "widgets reconciled: 1\n",
		"example-operator/metrics.txt":                                            "example_operator_widgets_total 1\n",
		"example-operator/files/example-operator-0/example-operator/operator.log": "reconciling widget example-operator/w1\n",
	}
	for p, content := range want {
		if got := string(files[p]); got != content {
			t.Errorf("%s: %s = %q, want %q", dir, p, got, content)
		}
	}
	for _, p := range []string{
		"cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com.yaml",
		"namespaces/example-operator/example.com/widgets/w1.yaml",
		"namespaces/example-operator/pods/example-operator-0/example-operator-0.yaml",
		// Ours ran first, in the same image: the cluster's state.
		"namespaces/kube-system/kube-system.yaml",
	} {
		if _, ok := files[p]; !ok {
			t.Errorf("%s: no %s", dir, p)
		}
	}
	m := readManifestFile(t, dir)
	var ours, theirs int
	for _, s := range m.Steps {
		switch {
		case strings.HasPrefix(s.Name, "/usr/share/gather/gather.d/"):
			ours++
		case strings.HasPrefix(s.Name, "/usr/share/example-operator/gather.d/"):
			theirs++
			if s.Status != "ok" {
				t.Errorf("%s: step %s %s: %s", dir, s.Name, s.Status, s.Error)
			}
			if ours == 0 {
				t.Errorf("%s: the example's step %s ran before ours", dir, s.Name)
			}
		}
	}
	if ours == 0 || theirs != 5 {
		t.Errorf("%s: %d steps of ours and %d of the example's, want some and 5", dir, ours, theirs)
	}
}

// The example of a product's image built on ours (images/example-operator),
// built by hack/image-test.sh with `make image-example`, run by the client
// alone, with ours (--image twice), and through --all-images (the
// annotation on a ClusterOperator): each image in its own folder with its
// own version file, the example's steps (an API group, a command in a pod,
// a raw proxy path, a copied file) run after ours.
func TestExampleImage(t *testing.T) {
	example, archive, ours := os.Getenv("EXAMPLE_IMAGE_REF"), os.Getenv("EXAMPLE_IMAGE_ARCHIVE"), os.Getenv("IMAGE_REF")
	version := os.Getenv("EXAMPLE_IMAGE_VERSION")
	if example == "" {
		t.Skip("EXAMPLE_IMAGE_REF, EXAMPLE_IMAGE_VERSION, EXAMPLE_IMAGE_ARCHIVE and IMAGE_REF (our image, on the node) are set by hack/image-test.sh, which runs this test")
	}
	if ours == "" || archive == "" || version == "" {
		t.Fatal("EXAMPLE_IMAGE_REF is set, but not IMAGE_REF, EXAMPLE_IMAGE_VERSION and EXAMPLE_IMAGE_ARCHIVE")
	}
	clustertest.RequireNode(t)
	clustertest.LoadImage(t, archive)
	installExampleOperator(t)
	bin := clientBinary(t, ours)

	t.Run("alone", func(t *testing.T) {
		r := runClient(t, bin, 6*time.Minute, "--image", example)
		t.Logf("kubectl-must_gather --image %s took %s", example, r.took)
		if r.code != cli.ExitOK {
			logFailedSteps(t, r.dest)
			t.Fatalf("exit code %d (%v)\nstderr:\n%s", r.code, r.err, r.stderr.String())
		}
		folders := foldersByProduct(t, r.dest)
		if len(folders) != 1 || folders["example-operator"] == "" {
			t.Fatalf("image folders by product: %v, want example-operator alone", folders)
		}
		checkExampleFolder(t, folders["example-operator"], version)
	})

	checkTogether := func(t *testing.T, r *clientRun) {
		t.Helper()
		if r.code != cli.ExitOK {
			logFailedSteps(t, r.dest)
			t.Fatalf("exit code %d (%v)\nstderr:\n%s", r.code, r.err, r.stderr.String())
		}
		folders := foldersByProduct(t, r.dest)
		if len(folders) != 2 || folders["example-operator"] == "" || folders["must-gather-toolkit"] == "" {
			t.Fatalf("image folders by product: %v, want must-gather-toolkit and example-operator", folders)
		}
		checkExampleFolder(t, folders["example-operator"], version)
		if _, err := os.Stat(filepath.Join(folders["must-gather-toolkit"], "example-operator")); err == nil {
			t.Errorf("our image's folder holds the example's steps' files")
		}
		if _, err := os.Stat(filepath.Join(folders["must-gather-toolkit"], "namespaces", "kube-system", "kube-system.yaml")); err != nil {
			t.Errorf("our image's folder: %v", err)
		}
	}
	t.Run("with ours", func(t *testing.T) {
		r := runClient(t, bin, 6*time.Minute, "--image", ours, "--image", example)
		t.Logf("kubectl-must_gather --image (ours) --image (example) took %s", r.took)
		checkTogether(t, r)
	})
	t.Run("all images", func(t *testing.T) {
		clustertest.InstallOpenShiftCRDs(t)
		dyn, err := dynamic.NewForConfig(clustertest.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		co := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
			"metadata": map[string]any{"name": "example-operator", "annotations": map[string]any{mustgather.MustGatherImageAnnotation: example}},
			"spec":     map[string]any{},
		}}
		if _, err := clustertest.CreateWithRetry(t.Context(), dyn.Resource(coGVR), co); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = dyn.Resource(coGVR).Delete(context.Background(), "example-operator", metav1.DeleteOptions{})
		})
		r := runClient(t, bin, 6*time.Minute, "--all-images")
		t.Logf("kubectl-must_gather --all-images took %s", r.took)
		checkTogether(t, r)
	})
}

package pods

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What WriteTar writes, Untar unpacks as it was: files, directories and a
// link inside the tree.
func TestWriteTarRoundTrip(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for name, content := range map[string]string{
		"version":                   "must-gather-toolkit\n0.1.0\n",
		"namespaces/kube-system/ns": "kind: Namespace\n",
		"empty":                     "",
	} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(src, "audit_logs"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("namespaces/kube-system/ns", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTar(t.Context(), &buf, src); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	if err := Untar(t.Context(), &buf, dest); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err := filepath.Walk(dest, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			got[rel] = "-> " + target
			return err
		case info.IsDir():
			got[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			got[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".":                         "dir",
		"audit_logs":                "dir",
		"empty":                     "",
		"link":                      "-> namespaces/kube-system/ns",
		"namespaces":                "dir",
		"namespaces/kube-system":    "dir",
		"namespaces/kube-system/ns": "kind: Namespace\n",
		"version":                   "must-gather-toolkit\n0.1.0\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unpacked tree (-want +got):\n%s", diff)
	}
}

func TestWriteTarMissingDir(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteTar(t.Context(), &buf, filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("WriteTar of a missing directory succeeded")
	}
}

package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCountDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		// ours: a list file as output.ListWriter writes it, an empty one,
		// one object (with a top-level sequence that is not items), logs
		"namespaces/a/core/configmaps.yaml":         "---\napiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    k: |\n      - not an item\n  kind: ConfigMap\n- apiVersion: v1\n  kind: ConfigMap\nkind: ConfigMapList\nmetadata: {}\n",
		"namespaces/a/core/secrets.yaml":            "---\napiVersion: v1\nitems:\n  []\nkind: SecretList\nmetadata: {}\n",
		"namespaces/a/core/endpoints/x.yaml":        "---\napiVersion: v1\nkind: Endpoints\nsubsets:\n- addresses: []\n",
		"namespaces/a/pods/p/c/c/logs/current.log":  "line\n",
		"namespaces/a/pods/p/c/c/logs/previous.log": "line\n",
		"gather-run.log":                            "not a container log\n",
		// kubectl cluster-info dump's
		"a/pods.json":    `{"kind": "PodList", "items": [{"metadata": {}}, {"metadata": {}}, {"metadata": {}}]}`,
		"a/p/c/logs.txt": "line\n",
		"nodes.json":     `{"kind": "NodeList", "items": []}`,
		"version.json":   `{"major": "1"}`,
	}
	var bytes int64
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		bytes += int64(len(content))
	}
	got, err := CountDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Gathered{Files: int64(len(files)), Bytes: bytes, Objects: 5, Logs: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CountDir (-want +got):\n%s", diff)
	}
	if _, err := CountDir(filepath.Join(dir, "absent")); err == nil {
		t.Error("CountDir of an absent directory: no error")
	}
}

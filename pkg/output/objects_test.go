package output

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/redact"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestListWriterAndWriteObject(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{})
	secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "a"}, "data": map[string]any{"k": b64("planted-secret-value")}}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "b"}, "data": map[string]any{"url": "http://u:planted-proxy-pass@h", "multi": "line1\nline2\n"}}

	l, err := s.CreateList("ns/core/things.yaml", "List")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []map[string]any{secret, cm} {
		if err := l.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	empty, err := s.CreateList("ns/core/none.yaml", "PodList")
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteObject("ns/core/secrets/a.yaml", secret); err != nil {
		t.Fatal(err)
	}

	var list map[string]any
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(s.Root(), rel))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "---\n") {
			t.Errorf("%s does not start a YAML document", rel)
		}
		for _, planted := range []string{"planted-secret-value", b64("planted-secret-value"), "planted-proxy-pass"} {
			if strings.Contains(string(b), planted) {
				t.Errorf("%s leaks %q", rel, planted)
			}
		}
		return string(b)
	}
	if err := yaml.Unmarshal([]byte(read("ns/core/things.yaml")), &list); err != nil {
		t.Fatalf("list file is not YAML: %v", err)
	}
	want := map[string]any{
		"apiVersion": "v1", "kind": "List", "metadata": map[string]any{},
		"items": []any{redact.Object(secret), redact.Object(cm)},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	var none map[string]any
	if err := yaml.Unmarshal([]byte(read("ns/core/none.yaml")), &none); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"apiVersion": "v1", "kind": "PodList", "metadata": map[string]any{}, "items": []any{}}, none); diff != "" {
		t.Errorf("empty list (-want +got):\n%s", diff)
	}
	var one map[string]any
	if err := yaml.Unmarshal([]byte(read("ns/core/secrets/a.yaml")), &one); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(redact.Object(secret), one); diff != "" {
		t.Errorf("object (-want +got):\n%s", diff)
	}
}

type recorded []string

func (r *recorded) Elided(rule, value string) { *r = append(*r, rule+"="+value) }

// The sink tells its recorder every value the rules elide, from objects
// and list items alike (the final leak scan looks for them).
func TestSinkRecordsElidedValues(t *testing.T) {
	t.Parallel()
	var rec recorded
	s := newSink(t, Options{Recorder: &rec})
	secret := func(name, value string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name}, "data": map[string]any{"k": b64(value)}}
	}
	if err := s.WriteObject("a.yaml", secret("a", "value-of-object")); err != nil {
		t.Fatal(err)
	}
	l, err := s.CreateList("list.yaml", "SecretList")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(secret("b", "value-of-item")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rec) != 2 || !strings.HasSuffix(rec[0], "=value-of-object") || !strings.HasSuffix(rec[1], "=value-of-item") {
		t.Errorf("recorded %q, want the two Secret values", rec)
	}
}

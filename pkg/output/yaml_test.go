package output

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// yamlSeeds are objects as the API server sends them, with what YAML
// writers trip on: key order with digits, numbers of every kind, strings
// that read as other types, block strings, empty and null values.
var yamlSeeds = []string{
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n","labels":{"a10":"x","a9":"y","key-1":"1","key-10":"10","key-2":"2","B":"upper","_":"u"},"creationTimestamp":"2026-12-02T16:00:00Z","resourceVersion":"123","uid":"0f1e2d3c-aaaa-bbbb-cccc-000000000001"},"data":{"true":"true","yes":"yes","null":"null","tilde":"~","int":"1","octal":"0o17","hex":"0x10","exp":"1e3","float":"1.5","date":"2026-12-02","empty":"","space":" leading","trailing":"trailing ","colon":"a: b","hash":"a #b","dash":"- x","multi":"line1\nline2\n","multi-no-newline":"line1\nline2","tab":"a\tb","quote":"it's \"quoted\"","unicode":"héllo ✓ 日本","long":"aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa aaaaaaaaaa","html":"<a href=\"x\">&amp;</a>","cr":"a\r\nb"}}`,
	`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","generation":9223372036854775807},"spec":{"replicas":0,"negative":-5,"float":1.5,"integral-float":3.0,"big":1e21,"small":0.000001,"bool":true,"false":false,"nothing":null,"emptyMap":{},"emptyList":[],"template":{"spec":{"containers":[{"name":"c","args":["--a=1","-v","2",""],"env":[{"name":"X","value":"1"},{"name":"Y"}],"resources":{"limits":{"cpu":"100m","memory":"1Gi"}}}]}},"nested":[[1,2],[],[{"a":null}],"s",null]}}`,
	`{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`,
}

// marshalYAML must write exactly what sigs.k8s.io/yaml.Marshal writes: the
// files inspect wrote before it, and what readers of the oc layout expect.
func TestMarshalYAMLAsSigsYAML(t *testing.T) {
	t.Parallel()
	for i, seed := range yamlSeeds {
		checkMarshalYAML(t, i, []byte(seed))
	}
}

func FuzzMarshalYAMLAsSigsYAML(f *testing.F) {
	for _, seed := range yamlSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMarshalYAML(t, 0, data)
	})
}

func checkMarshalYAML(t *testing.T, i int, data []byte) {
	t.Helper()
	// The dynamic client decodes so: JSON's types, integers as int64.
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(data); err != nil {
		t.Skipf("not an object the dynamic client decodes: %v", err)
	}
	want, err := sigsyaml.Marshal(u.Object)
	if err != nil {
		t.Skipf("sigs.k8s.io/yaml cannot write it: %v", err)
	}
	got, err := marshalYAML(u.Object)
	if err != nil {
		t.Fatalf("object %d: marshalYAML: %v (sigs.k8s.io/yaml wrote %q)", i, err, want)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("object %d: marshalYAML differs from sigs.k8s.io/yaml.Marshal (-sigs +ours):\n%s", i, diff)
	}
}

// go test -run '^$' -bench MarshalYAML ./pkg/output: ours against
// sigs.k8s.io/yaml on an object as inspect writes one.
func BenchmarkMarshalYAML(b *testing.B) {
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON([]byte(yamlSeeds[1])); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		marshal func(map[string]any) ([]byte, error)
	}{
		{"sigs.k8s.io-yaml", func(o map[string]any) ([]byte, error) { return sigsyaml.Marshal(o) }},
		{"ours", marshalYAML},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tc.marshal(u.DeepCopy().Object); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

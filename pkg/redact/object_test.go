package redact

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMaskURLCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://user:s3cret@proxy.example.com:3128", "http://user:REDACTED@proxy.example.com:3128"},
		{"https://TOKEN@github.com/org/repo", "https://REDACTED@github.com/org/repo"},
		{"no url here", "no url here"},
		{"http://proxy.example.com:3128", "http://proxy.example.com:3128"},
		{"http://a:b@x,https://c:d@y", "http://a:REDACTED@x,https://c:REDACTED@y"},
		{`{"httpProxy":"http://u:p@h:1"}`, `{"httpProxy":"http://u:REDACTED@h:1"}`},
		{"mail me at user@example.com", "mail me at user@example.com"},
		{"http://host/path@notcreds", "http://host/path@notcreds"},
	}
	for _, tc := range tests {
		if got := MaskURLCredentials(tc.in); got != tc.want {
			t.Errorf("MaskURLCredentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "secret data, stringData and last-applied",
			in: `apiVersion: v1
kind: Secret
metadata:
  name: s
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"aHVudGVyMg=="}}'
    other: kept
data:
  password: ` + b64("hunter2") + `
  tls.crt: ` + b64("CERT") + `
  tls.key: ` + b64("KEY-KEY-KEY") + `
  ca.crt: ` + b64("CA") + `
stringData:
  token: abcdef
  service-ca.crt: PUBLIC
`,
			want: `apiVersion: v1
kind: Secret
metadata:
  name: s
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: ""
    other: kept
data:
  password: ` + b64("7 bytes long") + `
  tls.crt: ` + b64("CERT") + `
  tls.key: ` + b64("11 bytes long") + `
  ca.crt: ` + b64("CA") + `
stringData:
  token: 6 bytes long
  service-ca.crt: PUBLIC
`,
		},
		{
			name: "proxy credentials everywhere, including last-applied of any object",
			in: `apiVersion: config.openshift.io/v1
kind: Proxy
metadata:
  name: cluster
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"spec":{"httpProxy":"http://user:SECRET@proxy:3128"}}'
spec:
  httpProxy: http://user:SECRET@proxy:3128
  noProxy: [".cluster.local", "https://tok@example.com"]
`,
			want: `apiVersion: config.openshift.io/v1
kind: Proxy
metadata:
  name: cluster
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"spec":{"httpProxy":"http://user:REDACTED@proxy:3128"}}'
spec:
  httpProxy: http://user:REDACTED@proxy:3128
  noProxy: [".cluster.local", "https://REDACTED@example.com"]
`,
		},
		{
			name: "route key",
			in: `apiVersion: route.openshift.io/v1
kind: Route
spec:
  tls:
    certificate: CERT
    key: PRIVATE
`,
			want: `apiVersion: route.openshift.io/v1
kind: Route
spec:
  tls:
    certificate: CERT
    key: ""
`,
		},
		{
			name: "a configmap named like a secret keeps its data",
			in: `apiVersion: v1
kind: ConfigMap
data:
  password: plain
`,
			want: `apiVersion: v1
kind: ConfigMap
data:
  password: plain
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var in, want map[string]any
			if err := yaml.Unmarshal([]byte(tc.in), &in); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			before, _ := yaml.Marshal(in)
			if diff := cmp.Diff(want, Object(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			after, _ := yaml.Marshal(in)
			if string(before) != string(after) {
				t.Error("Object changed its input")
			}
		})
	}
}

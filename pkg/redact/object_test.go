package redact

import (
	"encoding/base64"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// recorder keeps what it is told as "rule value".
type recorder []string

func (r *recorder) Elided(rule, value string) { *r = append(*r, rule+" "+value) }

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
		// A raw @ in the password: the userinfo runs to the last @.
		{"http://user:p@ss@proxy:3128", "http://user:REDACTED@proxy:3128"},
		{"http://user:p@s@s@proxy/x@y", "http://user:REDACTED@proxy/x@y"},
		{"https://tok@en@github.com/a", "https://REDACTED@github.com/a"},
		{"http://me@corp.com:pa@ss@proxy", "http://me@corp.com:REDACTED@proxy"},
		{"a http://u:p@ss@h b mail@example.com", "a http://u:REDACTED@h b mail@example.com"},
	}
	for _, tc := range tests {
		if got := MaskURLCredentials(tc.in); got != tc.want {
			t.Errorf("MaskURLCredentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// objectTest is a case of Object: an object in YAML and its redacted copy.
type objectTest struct {
	name string
	in   string
	want string
	// elided, when not nil, is what the Recorder is told: "rule value",
	// sorted.
	elided []string
}

func TestObject(t *testing.T) {
	t.Parallel()
	testObjects(t, []objectTest{
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
			name: "service account token secret: oc's token-secret.value annotation",
			in: `apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: builder-token-x
  annotations:
    kubernetes.io/service-account.name: builder
    openshift.io/token-secret.value: eyJhbGciOi.payload.sig
data:
  token: ` + b64("eyJhbGciOi.payload.sig") + `
  ca.crt: ` + b64("CA") + `
`,
			want: `apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: builder-token-x
  annotations:
    kubernetes.io/service-account.name: builder
    openshift.io/token-secret.value: ""
data:
  token: ` + b64("22 bytes long") + `
  ca.crt: ` + b64("CA") + `
`,
			elided: []string{
				"secret.data eyJhbGciOi.payload.sig",
				"secret.token-secret.value eyJhbGciOi.payload.sig",
			},
		},
		{
			name: "a secret's last-applied is blanked, and its values are recorded",
			in: `apiVersion: v1
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Secret","stringData":{"password":"old-one"}}
data:
  password: ` + b64("new-one") + `
`,
			want: `apiVersion: v1
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: ""
data:
  password: ` + b64("7 bytes long") + `
`,
			elided: []string{"secret.data new-one", "secret.stringData old-one"},
		},
		{
			name: "map keys are masked too (managedFields)",
			in: `apiVersion: config.openshift.io/v1
kind: Proxy
metadata:
  managedFields:
  - fieldsV1:
      f:spec:
        f:readinessEndpoints:
          v:"http://user:pw@probe:80": {}
`,
			want: `apiVersion: config.openshift.io/v1
kind: Proxy
metadata:
  managedFields:
  - fieldsV1:
      f:spec:
        f:readinessEndpoints:
          v:"http://user:REDACTED@probe:80": {}
`,
			elided: []string{"url.credentials pw"},
		},
		{
			name: "secrets in a List are redacted as top-level ones",
			in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  data:
    password: ` + b64("hunter2") + `
- apiVersion: v1
  kind: SecretList
  items:
  - apiVersion: v1
    kind: Secret
    stringData:
      token: abc
`,
			want: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  data:
    password: ` + b64("7 bytes long") + `
- apiVersion: v1
  kind: SecretList
  items:
  - apiVersion: v1
    kind: Secret
    stringData:
      token: 3 bytes long
`,
			elided: []string{"secret.data hunter2", "secret.stringData abc"},
		},
		{
			// The API answers a list without apiVersion and kind on its
			// items; an audit event's responseObject of a list is one.
			name: "items of a typed list without their own type get its rules",
			in: `apiVersion: v1
kind: ConfigMapList
items:
- metadata:
    name: kc
  data:
    kubeconfig: |
      apiVersion: v1
      kind: Config
      users:
      - name: admin
        user:
          token: kc-token-123
- metadata:
    name: other
  data:
    plain: value
`,
			want: `apiVersion: v1
kind: ConfigMapList
items:
- metadata:
    name: kc
  data:
    kubeconfig: |
      apiVersion: v1
      kind: Config
      users:
      - name: admin
        user:
          token: REDACTED
- metadata:
    name: other
  data:
    plain: value
`,
			elided: []string{"configmap.kubeconfig kc-token-123"},
		},
		{
			name: "a template's objects and parameters",
			in: `apiVersion: template.openshift.io/v1
kind: Template
parameters:
- name: MYSQL_PASSWORD
  value: t0ps3cret
- name: MYSQL_USER
  value: admin
- name: ADMIN_TOKEN
  generate: expression
  from: "[a-z]{16}"
objects:
- apiVersion: v1
  kind: Secret
  stringData:
    password: ${MYSQL_PASSWORD}
- apiVersion: v1
  kind: Route
  spec:
    tls:
      key: PRIVATE
`,
			want: `apiVersion: template.openshift.io/v1
kind: Template
parameters:
- name: MYSQL_PASSWORD
  value: REDACTED
- name: MYSQL_USER
  value: admin
- name: ADMIN_TOKEN
  generate: expression
  from: "[a-z]{16}"
objects:
- apiVersion: v1
  kind: Secret
  stringData:
    password: 17 bytes long
- apiVersion: v1
  kind: Route
  spec:
    tls:
      key: ""
`,
			elided: []string{"env.value t0ps3cret", "route.tls.key PRIVATE", "secret.stringData ${MYSQL_PASSWORD}"},
		},
		{
			name: "an object held anywhere in another object",
			in: `apiVersion: example.com/v1
kind: Bundle
spec:
  resources:
  - object:
      apiVersion: v1
      kind: Secret
      data:
        key: ` + b64("k") + `
  reference:
    apiVersion: v1
    kind: Secret
    name: only-a-reference
`,
			want: `apiVersion: example.com/v1
kind: Bundle
spec:
  resources:
  - object:
      apiVersion: v1
      kind: Secret
      data:
        key: ` + b64("1 bytes long") + `
  reference:
    apiVersion: v1
    kind: Secret
    name: only-a-reference
`,
			elided: []string{"secret.data k"},
		},
		{
			name: "a route's key inside its last-applied-configuration",
			in: `apiVersion: route.openshift.io/v1
kind: Route
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"route.openshift.io/v1","kind":"Route","spec":{"tls":{"certificate":"CERT","key":"PRIVATE","termination":"edge"},"port":{"targetPort":8080}}}
spec:
  tls:
    key: PRIVATE
`,
			want: `apiVersion: route.openshift.io/v1
kind: Route
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"route.openshift.io/v1","kind":"Route","spec":{"port":{"targetPort":8080},"tls":{"certificate":"CERT","key":"","termination":"edge"}}}
spec:
  tls:
    key: ""
`,
			elided: []string{"route.tls.key PRIVATE", "route.tls.key PRIVATE"},
		},
		{
			name: "an env password inside a deployment's last-applied-configuration",
			in: `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment","apiVersion":"apps/v1","spec":{"replicas":1e0,"template":{"spec":{"containers":[{"name":"db","env":[{"name":"DB_PASSWORD","value":"a<b&c"}]}]}}}}'
`,
			want: `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":1e0,"template":{"spec":{"containers":[{"env":[{"name":"DB_PASSWORD","value":"REDACTED"}],"name":"db"}]}}}}'
`,
			elided: []string{"env.value a<b&c"},
		},
		{
			name: "a last-applied-configuration with nothing to elide stays byte for byte",
			in: `apiVersion: v1
kind: Service
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"kind":"Service", "apiVersion":"v1",  "spec":{"ports":[{"port":1e3}]}}
`,
			want: `apiVersion: v1
kind: Service
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"kind":"Service", "apiVersion":"v1",  "spec":{"ports":[{"port":1e3}]}}
`,
			elided: []string{},
		},
		{
			name: "a last-applied-configuration that cannot be parsed is dropped",
			in: `apiVersion: v1
kind: ConfigMap
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"x"}'
    other: kept
`,
			want: `apiVersion: v1
kind: ConfigMap
metadata:
  annotations:
    other: kept
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
	})
}

// testObjects runs Object on each case, diffing with what it wants and
// checking that the input was not changed.
func testObjects(t *testing.T, tests []objectTest) {
	t.Helper()
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
				t.Errorf("Object (-want +got):\n%s", diff)
			}
			var rec recorder
			if diff := cmp.Diff(want, ObjectRecorded(in, &rec)); diff != "" {
				t.Errorf("ObjectRecorded (-want +got):\n%s", diff)
			}
			if tc.elided != nil {
				got := append([]string{}, rec...)
				sort.Strings(got)
				if diff := cmp.Diff(tc.elided, got); diff != "" {
					t.Errorf("elided (-want +got):\n%s", diff)
				}
			}
			after, _ := yaml.Marshal(in)
			if string(before) != string(after) {
				t.Error("Object changed its input")
			}
		})
	}
}

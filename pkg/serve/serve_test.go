package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const token = "t0ken"

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testBundle is a client's result with two image folders in oc's layout
// (no discovery documents): b replaces a's pod p1, and has a CRD and
// one of its objects.
func testBundle(t *testing.T) fstest.MapFS {
	pod := func(name, phase string, restarts int) string {
		return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ns1, labels: {app: x}, creationTimestamp: "2026-01-02T02:04:05Z"}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
status:
  phase: ` + phase + `
  podIP: 10.0.0.1
  containerStatuses: [{name: c, ready: true, restartCount: ` + string(rune('0'+restarts)) + `, state: {running: {}}}]
`
	}
	return fstest.MapFS{
		"a/namespaces/ns1/ns1.yaml":                         {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\nstatus: {phase: Active}\n")},
		"a/namespaces/ns1/pods/p1/p1.yaml":                  {Data: []byte(pod("p1", "Pending", 0))},
		"a/namespaces/ns1/pods/p1/c/c/logs/current.log":     {Data: []byte("2026-01-02T03:00:00.000000001Z one\n2026-01-02T03:00:01Z two\nthree\n")},
		"b/namespaces/ns1/core/pods.yaml.gz":                {Data: gz(t, "apiVersion: v1\nkind: PodList\nitems:\n- "+strings.ReplaceAll(strings.TrimPrefix(pod("p1", "Running", 2), "apiVersion: v1\nkind: Pod\n"), "\n", "\n  ")+"\n- "+strings.ReplaceAll(pod("p2", "Running", 0), "\n", "\n  "))},
		"b/namespaces/ns1/pods/p1/c/c/logs/previous.log.gz": {Data: gz(t, "before\n")},
		"b/namespaces/ns1/core/events.yaml":                 {Data: []byte("apiVersion: v1\nkind: EventList\nitems:\n- {apiVersion: v1, kind: Event, metadata: {name: e1, namespace: ns1}, involvedObject: {kind: Pod, name: p1, namespace: ns1}, reason: Started, type: Normal, message: hi, lastTimestamp: \"2026-01-02T03:00:05Z\"}\n- {apiVersion: v1, kind: Event, metadata: {name: e2, namespace: ns1}, involvedObject: {kind: Pod, name: p2, namespace: ns1}, reason: Killing, type: Normal}\n")},
		"b/cluster-scoped-resources/apiextensions.k8s.io/customresourcedefinitions/gizmos.x.io.yaml": {Data: []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.x.io}
spec:
  group: x.io
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo, shortNames: [gz]}
  versions:
  - {name: v1beta1, served: true, storage: false}
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns: [{name: Size, type: integer, jsonPath: .spec.size}]
`)},
		"b/cluster-scoped-resources/config.openshift.io/clusteroperators/dns.yaml": {Data: []byte(`apiVersion: config.openshift.io/v1
kind: ClusterOperator
metadata: {name: dns}
status:
  versions: [{name: operator, version: 4.20.1}, {name: coredns, version: x}]
  conditions:
  - {type: Degraded, status: "False", lastTransitionTime: "2026-01-02T01:04:05Z"}
  - {type: Available, status: "True", lastTransitionTime: "2026-01-02T02:04:05Z", message: all good}
  - {type: Progressing, status: "False", lastTransitionTime: "2026-01-02T01:04:05Z"}
`)},
		"b/namespaces/ns1/x.io/gizmos/g1.yaml":            {Data: []byte("apiVersion: x.io/v1\nkind: Gizmo\nmetadata: {name: g1, namespace: ns1}\nspec: {size: 3}\n")},
		"b/namespaces/ns1/pods/p1/c/c/logs/unrelated.txt": {Data: []byte("x")},
	}
}

func newTestServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	var log bytes.Buffer
	ix, err := NewIndex(context.Background(), testBundle(t), Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Errors) > 0 {
		t.Fatalf("index errors: %v", ix.Errors)
	}
	h := Handler(ix, token).(*server)
	h.now = func() time.Time { return now }
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, log.String()
}

func get(t *testing.T, srv *httptest.Server, method, path, accept string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// rows decodes a Table's cells.
func rows(t *testing.T, body string) [][]any {
	t.Helper()
	var tbl metav1.Table
	if err := json.Unmarshal([]byte(body), &tbl); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out [][]any
	head := []any{}
	for _, c := range tbl.ColumnDefinitions {
		head = append(head, c.Name)
	}
	out = append(out, head)
	for _, r := range tbl.Rows {
		out = append(out, r.Cells)
	}
	return out
}

func TestLog(t *testing.T) {
	t.Parallel()
	_, log := newTestServer(t)
	want := "serve: the logs of container c of pod ns1/p1 from b replace those from a\nserve: pods ns1/p1 from b replaces the one from a\n"
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	tests := []struct {
		name, method, path, accept string
		wantCode                   int
		wantType                   string
		want                       func(t *testing.T, body string)
	}{
		{name: "pods of all namespaces as a table", path: "/api/v1/pods", accept: tableAccept, wantCode: 200, want: func(t *testing.T, body string) {
			want := [][]any{{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"},
				{"p1", "1/1", "Running", "2", "60m", "10.0.0.1", "n1"}, {"p2", "1/1", "Running", "0", "60m", "10.0.0.1", "n1"}}
			if diff := cmp.Diff(want, rows(t, body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{name: "label selector", path: "/api/v1/namespaces/ns1/pods?labelSelector=app%3Dy", accept: tableAccept, wantCode: 200, want: func(t *testing.T, body string) {
			if got := len(rows(t, body)); got != 1 {
				t.Errorf("%d rows, want none", got-1)
			}
		}},
		{name: "describe's event search", path: "/api/v1/namespaces/ns1/events?fieldSelector=involvedObject.name%3Dp1%2CinvolvedObject.namespace%3Dns1%2CinvolvedObject.kind%3DPod", wantCode: 200, want: func(t *testing.T, body string) {
			var list struct {
				Kind  string
				Items []struct{ Reason string }
			}
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			if list.Kind != "EventList" || len(list.Items) != 1 || list.Items[0].Reason != "Started" {
				t.Errorf("got %s", body)
			}
		}},
		{name: "events table", path: "/api/v1/namespaces/ns1/events", accept: tableAccept, wantCode: 200, want: func(t *testing.T, body string) {
			want := [][]any{{"Last Seen", "Type", "Reason", "Object", "Message", "Name"},
				{"4m", "Normal", "Started", "pod/p1", "hi", "e1"}, {"<unknown>", "Normal", "Killing", "pod/p2", "", "e2"}}
			if diff := cmp.Diff(want, rows(t, body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{name: "unsupported field", path: "/api/v1/pods?fieldSelector=spec.foo%3Dx", wantCode: 400},
		{name: "custom resource with its printer columns", path: "/apis/x.io/v1/namespaces/ns1/gizmos", accept: tableAccept, wantCode: 200, want: func(t *testing.T, body string) {
			if diff := cmp.Diff([][]any{{"Name", "Size"}, {"g1", float64(3)}}, rows(t, body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{name: "clusteroperators without their CRD", path: "/apis/config.openshift.io/v1/clusteroperators", accept: tableAccept, wantCode: 200, want: func(t *testing.T, body string) {
			want := [][]any{{"Name", "Version", "Available", "Progressing", "Degraded", "Since", "Message"},
				{"dns", "4.20.1", "True", "False", "False", "60m", "all good"}}
			if diff := cmp.Diff(want, rows(t, body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{name: "an object", path: "/api/v1/namespaces/ns1/pods/p2", wantCode: 200, want: func(t *testing.T, body string) {
			if !strings.Contains(body, `"name":"p2"`) || !strings.Contains(body, `"kind":"Pod"`) {
				t.Errorf("got %s", body)
			}
		}},
		{name: "not found", path: "/api/v1/namespaces/ns1/pods/nope", wantCode: 404},
		{name: "a type not in the bundle", path: "/api/v1/secrets", wantCode: 404},
		{name: "a current log the later folder does not have", path: "/api/v1/namespaces/ns1/pods/p1/log", wantCode: 404},
		{name: "previous log", path: "/api/v1/namespaces/ns1/pods/p1/log?container=c&previous=true", wantCode: 200, wantType: "text/plain", want: func(t *testing.T, body string) {
			if body != "before\n" {
				t.Errorf("got %q", body)
			}
		}},
		{name: "delete", method: "DELETE", path: "/api/v1/namespaces/ns1/pods/p1", wantCode: 405, want: func(t *testing.T, body string) {
			if !strings.Contains(body, `"reason":"MethodNotAllowed"`) || !strings.Contains(body, `"kind":"Status"`) {
				t.Errorf("got %s", body)
			}
		}},
		{name: "create", method: "POST", path: "/api/v1/namespaces/ns1/pods", wantCode: 405},
		{name: "watch", path: "/api/v1/pods?watch=true", wantCode: 405},
		{name: "aggregated discovery", path: "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", wantCode: 200, wantType: aggregatedContentType, want: func(t *testing.T, body string) {
			if !strings.Contains(body, `"resource":"gizmos"`) || !strings.Contains(body, `"shortNames":["gz"]`) || !strings.Contains(body, `"version":"v1"`) {
				t.Errorf("got %s", body)
			}
		}},
		{name: "legacy discovery", path: "/api/v1", wantCode: 200, want: func(t *testing.T, body string) {
			if !strings.Contains(body, `"name":"pods/log"`) || !strings.Contains(body, `"shortNames":["po"]`) {
				t.Errorf("got %s", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, typ, body := get(t, srv, cmpOr(tt.method, "GET"), tt.path, tt.accept)
			if code != tt.wantCode || (tt.wantType != "" && typ != tt.wantType) {
				t.Fatalf("%s %s: %d %s, want %d %s\n%s", tt.method, tt.path, code, typ, tt.wantCode, tt.wantType, body)
			}
			if tt.want != nil {
				tt.want(t, body)
			}
		})
	}
}

func TestTokenRequired(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	resp, err := srv.Client().Get(srv.URL + "/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", resp.StatusCode)
	}
}

func TestCopyLog(t *testing.T) {
	t.Parallel()
	in := "2026-01-02T03:00:00.000000001Z one\n2026-01-02T03:00:01Z two\nthree\nfour"
	tests := []struct {
		name       string
		tail       int
		timestamps bool
		want       string
	}{
		{"all", -1, false, "one\ntwo\nthree\nfour"},
		{"timestamps kept", -1, true, in},
		{"tail 2", 2, false, "three\nfour"},
		{"tail 0", 0, false, ""},
		{"tail past the start", 9, false, "one\ntwo\nthree\nfour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := copyLog(&b, strings.NewReader(in), tt.tail, tt.timestamps); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

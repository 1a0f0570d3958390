package output

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/redact"
)

// The compression of audit logs as the sink does it (CreateAuditLog: the
// audit rules over a gzip writer at its default level over the file),
// with klauspost/compress (what the sink uses) and with the standard
// library's compress/gzip, on generated audit events. Run with
//
//	go test -run '^$' -bench BenchmarkAuditCompression ./pkg/output
//
// MB/s counts the uncompressed input; "ratio" is input / compressed bytes.
// "gzip" is the compression alone, written in the pieces the redactor
// hands on; "sink" adds the audit rules in front of it, as CreateAuditLog
// does.

// compressors are the two gzip writers the benchmark compares, at their
// default level (the sink's).
var compressors = []struct {
	name string
	new  func(io.Writer) io.WriteCloser
}{
	{"klauspost", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }},
	{"stdlib", func(w io.Writer) io.WriteCloser { return stdgzip.NewWriter(w) }},
}

// countingWriter counts what the compressor writes and drops it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// auditInputSize is the size of one benchmark input: big enough for the
// compressors' windows to matter, small enough to keep in memory.
const auditInputSize = 8 << 20

func BenchmarkAuditCompression(b *testing.B) {
	input := auditLog(b, rand.New(rand.NewPCG(1, 2)), auditInputSize, true)
	metadata := auditLog(b, rand.New(rand.NewPCG(1, 2)), auditInputSize, false)
	for _, path := range []struct {
		name   string
		input  []byte
		redact bool
	}{{"gzip", input, false}, {"sink", input, true}, {"sink-metadata", metadata, true}} {
		for _, c := range compressors {
			input := path.input
			b.Run(path.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(input)))
				var out int64
				for b.Loop() {
					out = compressOnce(b, input, c.new, path.redact)
				}
				b.ReportMetric(float64(len(input))/float64(out), "ratio")
			})
		}
	}
}

// compressOnce writes input through the pipeline in 32 KiB pieces (what
// io.Copy from a stream hands the sink) and returns the compressed size.
func compressOnce(tb testing.TB, input []byte, newGzip func(io.Writer) io.WriteCloser, redacted bool) int64 {
	var cw countingWriter
	gz := newGzip(&cw)
	var w io.WriteCloser = gz
	if redacted {
		w = redact.NewAuditWriter(gz)
	}
	for p := input; len(p) > 0; {
		n := min(len(p), 32<<10)
		if _, err := w.Write(p[:n]); err != nil {
			tb.Fatal(err)
		}
		p = p[n:]
	}
	if redacted {
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return cw.n
}

// auditLog returns at least size bytes of JSON lines shaped like the
// kube-apiserver's audit events (with objects false: all at the Metadata
// level, as OpenShift's default audit profile logs most) under a policy that logs request and
// response bodies for some resources (as the test cluster's does): mostly
// metadata-only reads by controllers and nodes, some writes with their
// objects.
func auditLog(tb testing.TB, r *rand.Rand, size int, objects bool) []byte {
	var sb strings.Builder
	t := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for sb.Len() < size {
		t = t.Add(time.Duration(r.IntN(20_000)) * time.Microsecond)
		b, err := json.Marshal(auditEvent(r, t, objects))
		if err != nil {
			tb.Fatal(err)
		}
		sb.Write(b)
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

var (
	auditUsers = []struct{ name, agent string }{
		{"system:node:mgtk-node", "kubelet/v1.37.2 (linux/amd64) kubernetes/abc1234"},
		{"system:kube-controller-manager", "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc1234/leader-election"},
		{"system:serviceaccount:kube-system:replicaset-controller", "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc1234/system:serviceaccount:kube-system:replicaset-controller"},
		{"system:kube-scheduler", "kube-scheduler/v1.37.2 (linux/amd64) kubernetes/abc1234/scheduler"},
		{"system:apiserver", "kube-apiserver/v1.37.2 (linux/amd64) kubernetes/abc1234"},
		{"admin", "kubectl/v1.37.2 (linux/amd64) kubernetes/abc1234"},
	}
	auditResources = []string{"pods", "configmaps", "secrets", "leases", "events", "deployments", "replicasets", "endpointslices", "nodes", "serviceaccounts"}
	auditVerbs     = []string{"get", "get", "get", "list", "watch", "update", "patch", "create", "delete"}
)

// auditEvent is one event at time t.
func auditEvent(r *rand.Rand, t time.Time, objects bool) map[string]any {
	u := auditUsers[r.IntN(len(auditUsers))]
	res := auditResources[r.IntN(len(auditResources))]
	verb := auditVerbs[r.IntN(len(auditVerbs))]
	ns := fmt.Sprintf("bench-%03d", r.IntN(100))
	name := fmt.Sprintf("%s-%s-%05d", strings.TrimSuffix(res, "s"), randHex(r, 5), r.IntN(100_000))
	uri := fmt.Sprintf("/api/v1/namespaces/%s/%s/%s", ns, res, name)
	if verb == "list" || verb == "watch" {
		uri = fmt.Sprintf("/api/v1/namespaces/%s/%s?limit=500&resourceVersion=%d", ns, res, r.IntN(1_000_000))
	}
	code := 200
	if verb == "create" {
		code = 201
	}
	if r.IntN(20) == 0 {
		code = 404
	}
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
		"auditID":    fmt.Sprintf("%s-%s-%s-%s-%s", randHex(r, 8), randHex(r, 4), randHex(r, 4), randHex(r, 4), randHex(r, 12)),
		"stage":      "ResponseComplete",
		"requestURI": uri, "verb": verb,
		"user":      map[string]any{"username": u.name, "groups": []string{"system:authenticated"}},
		"sourceIPs": []string{"10.244.99.1"}, "userAgent": u.agent,
		"objectRef":                map[string]any{"resource": res, "namespace": ns, "name": name, "apiVersion": "v1"},
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": code},
		"requestReceivedTimestamp": t.Format(time.RFC3339Nano),
		"stageTimestamp":           t.Add(time.Duration(r.IntN(5000)) * time.Microsecond).Format(time.RFC3339Nano),
		"annotations": map[string]any{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "system:controller" of ClusterRole "system:controller" to User "` + u.name + `"`,
		},
	}
	if objects && (verb == "create" || verb == "update" || verb == "patch") {
		ev["level"] = "RequestResponse"
		obj := auditObject(r, res, ns, name, t)
		ev["requestObject"] = obj
		ev["responseObject"] = obj
	}
	return ev
}

// auditObject is the body of a write: an object with the metadata the
// server adds, and data that does not repeat.
func auditObject(r *rand.Rand, res, ns, name string, t time.Time) map[string]any {
	data := map[string]any{}
	for i := range 1 + r.IntN(4) {
		data[fmt.Sprintf("key-%d", i)] = randHex(r, 16+r.IntN(48))
	}
	return map[string]any{
		"kind": strings.TrimSuffix(strings.ToUpper(res[:1])+res[1:], "s"), "apiVersion": "v1",
		"metadata": map[string]any{
			"name": name, "namespace": ns, "uid": randHex(r, 32),
			"resourceVersion":   fmt.Sprint(r.IntN(10_000_000)),
			"creationTimestamp": t.Format(time.RFC3339),
			"labels":            map[string]any{"app": "bench", "bench.must-gather.io/profile": "small"},
			"managedFields": []any{map[string]any{
				"manager": "loader", "operation": "Update", "apiVersion": "v1", "time": t.Format(time.RFC3339),
				"fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:data": map[string]any{".": map[string]any{}}},
			}},
		},
		"data": data,
	}
}

func randHex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// The generated input is what the benchmark claims: audit events, one a
// line, some with objects, and secrets' objects are what the audit rules
// drop (so the "sink" path does the work it does on real logs).
func TestAuditLogInput(t *testing.T) {
	t.Parallel()
	input := auditLog(t, rand.New(rand.NewPCG(1, 2)), 256<<10, true)
	lines := strings.Split(strings.TrimSuffix(string(input), "\n"), "\n")
	withObjects, secretWrites := 0, 0
	for i, line := range lines {
		var ev struct {
			Kind, APIVersion string
			AuditID          string
			ObjectRef        struct{ Resource string }
			RequestObject    map[string]any
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if ev.Kind != "Event" || ev.APIVersion != "audit.k8s.io/v1" || ev.AuditID == "" {
			t.Fatalf("line %d is not an audit event: %s", i, line)
		}
		if ev.RequestObject != nil {
			withObjects++
			if ev.ObjectRef.Resource == "secrets" {
				secretWrites++
				if red := redact.AuditEvent([]byte(line)); strings.Contains(string(red), `"requestObject"`) {
					t.Errorf("line %d: the audit rules kept a secret's object", i)
				}
			}
		}
	}
	if withObjects == 0 || withObjects == len(lines) || secretWrites == 0 {
		t.Errorf("%d lines, %d with objects, %d secret writes: want a mix", len(lines), withObjects, secretWrites)
	}
	// Both compressors write gzip that reads back as the input, smaller.
	for _, c := range compressors {
		var buf bytes.Buffer
		gz := c.new(&buf)
		if _, err := gz.Write(input); err != nil {
			t.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.Len() >= len(input)/2 {
			t.Errorf("%s: %d bytes compressed to %d", c.name, len(input), buf.Len())
		}
		zr, err := stdgzip.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, input) {
			t.Errorf("%s: the input does not read back", c.name)
		}
	}
}

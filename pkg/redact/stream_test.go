package redact

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeAll writes in through a LineWriter in writes of at most size bytes
// and returns what came out.
func writeAll(t testing.TB, newW func(io.Writer) io.WriteCloser, in string, size int) string {
	t.Helper()
	var out bytes.Buffer
	w := newW(&out)
	for len(in) > 0 {
		n := min(size, len(in))
		if k, err := w.Write([]byte(in[:n])); err != nil || k != n {
			t.Fatalf("Write = %d, %v; want %d", k, err, n)
		}
		in = in[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestLineWriter(t *testing.T) {
	t.Parallel()
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nABCDEFGH\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name, in, want string
	}{
		{"nothing to redact, last line without newline", "a\nb\r\n\nlast", "a\nb\r\n\nlast"},
		{"lines", "x password=a\ny\nAuthorization: Bearer b", "x password=REDACTED\ny\nAuthorization: Bearer REDACTED"},
		{"PEM key over lines", "before\n" + key + "after token=x\n", "before\n-----BEGIN RSA PRIVATE KEY-----\nREDACTED\n-----END RSA PRIVATE KEY-----\nafter token=REDACTED\n"},
		{"PEM key with log prefixes", "2026-11-26T10:00:00Z -----BEGIN PRIVATE KEY-----\n2026-11-26T10:00:00Z MIIEvQIBADAN\n2026-11-26T10:00:00Z -----END PRIVATE KEY----- done\n",
			"2026-11-26T10:00:00Z -----BEGIN PRIVATE KEY-----\nREDACTED\n-----END PRIVATE KEY----- done\n"},
		{"PEM key in YAML", "tls.key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEE\n    -----END EC PRIVATE KEY-----\nnext: 1\n",
			"tls.key: |\n    -----BEGIN EC PRIVATE KEY-----\n    REDACTED\n    -----END EC PRIVATE KEY-----\nnext: 1\n"}, // the indentation stays: the YAML stays valid
		{"PEM key cut by the end of the stream", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt\nAAAA", "-----BEGIN OPENSSH PRIVATE KEY-----\nREDACTED\n"},
		{"certificate over lines stays", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
		{"BEGIN quoted in prose is no block", `error: expected "-----BEGIN PRIVATE KEY-----" here` + "\nnext line\n", `error: expected "-----BEGIN PRIVATE KEY-----REDACTED" here` + "\nnext line\n"},
	}
	for _, tc := range tests {
		for _, size := range []int{1, 3, 1 << 20} {
			t.Run(fmt.Sprintf("%s, writes of %d", tc.name, size), func(t *testing.T) {
				t.Parallel()
				if diff := cmp.Diff(tc.want, writeAll(t, NewLineWriter, tc.in, size)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

// A PEM block whose END does not come ends after maxKeyBytes: the log
// after it is not lost.
func TestLineWriterKeyWithoutEnd(t *testing.T) {
	t.Parallel()
	const line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n"
	// The lines that fit in maxKeyBytes, and one more.
	body := strings.Repeat(line, maxKeyBytes/len(line)+1)
	in := "-----BEGIN PRIVATE KEY-----\n" + body + "a log line\n"
	want := "-----BEGIN PRIVATE KEY-----\nREDACTED\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\na log line\n"
	if diff := cmp.Diff(want, writeAll(t, NewLineWriter, in, 4096)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A line longer than MaxLine goes in pieces; a secret at any cut is
// masked whole, and a line with nothing to redact comes out as it was.
func TestLineWriterLongLines(t *testing.T) {
	t.Parallel()
	filler := strings.Repeat("x", 97) + " "
	long := strings.Repeat(filler, MaxLine/len(filler)+1) // > MaxLine, no newline
	if got := writeAll(t, NewLineWriter, long+"\n"+long, 64<<10); got != long+"\n"+long {
		t.Errorf("a long line with nothing to redact changed (%d bytes in, %d out)", 2*len(long)+1, len(got))
	}
	// Secrets placed around where the first cut falls.
	for _, at := range []int{MaxLine - pieceOverlap - 20, MaxLine - pieceOverlap - 5, MaxLine - pieceOverlap, MaxLine - 10, MaxLine - 3} {
		in := long[:at] + "password=hunter2 " + long[at:]
		got := writeAll(t, NewLineWriter, in, 32<<10)
		if strings.Contains(got, "hunter2") || strings.Contains(got, "hunt") {
			t.Errorf("secret at %d: leaked", at)
		}
		if want := long[:at] + "password=REDACTED " + long[at:]; got != want {
			t.Errorf("secret at %d: %d bytes out, want %d", at, len(got), len(want))
		}
	}
	// A value longer than half a piece: masked, its rest dropped.
	in := "token=" + strings.Repeat("s", MaxLine) + " after\n"
	if diff := cmp.Diff("token=REDACTED after\n", writeAll(t, NewLineWriter, in, 32<<10)); diff != "" {
		t.Errorf("long value (-want +got):\n%s", diff)
	}
}

func TestAuditWriterAndReader(t *testing.T) {
	t.Parallel()
	secret := `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s","apiVersion":"v1"},"requestObject":{"kind":"Secret","data":{"p":"aHVudGVyMg=="}},"responseObject":{"kind":"Secret"},"stageTimestamp":"t"}`
	in := secret + "\n" + `{"kind":"Event","requestURI":"/api?access_token=abc"}` + "\nnot JSON: password=x\n" + secret[:100]
	want := `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s","apiVersion":"v1"},"stageTimestamp":"t"}` + "\n" +
		`{"kind":"Event","requestURI":"/api?access_token=REDACTED"}` + "\nnot JSON: password=REDACTED\n" + secret[:100]
	if diff := cmp.Diff(want, writeAll(t, NewAuditWriter, in, 7)); diff != "" {
		t.Errorf("writer (-want +got):\n%s", diff)
	}
	got, err := io.ReadAll(NewAuditReader(iotestOneByte(strings.NewReader(in))))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("reader (-want +got):\n%s", diff)
	}
}

// An audit line longer than MaxAuditLine keeps what is before its objects.
func TestAuditWriterLongLine(t *testing.T) {
	t.Parallel()
	head := `{"kind":"Event","auditID":"1","verb":"update","objectRef":{"resource":"configmaps"}`
	in := head + `,"requestObject":{"kind":"ConfigMap","data":{"a":"` + strings.Repeat("x", MaxAuditLine) + `"}}}` + "\n" + `{"kind":"Event","auditID":"2"}` + "\n"
	want := head + "}\n" + `{"kind":"Event","auditID":"2"}` + "\n"
	if diff := cmp.Diff(want, writeAll(t, NewAuditWriter, in, 1<<20)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func iotestOneByte(r io.Reader) io.Reader { return oneByteReader{r} }

// BenchmarkLineWriter streams a realistic kubelet log (klog lines, a few
// with something to redact) through a LineWriter: MB/s of log.
func BenchmarkLineWriter(b *testing.B) {
	log := klogSample(32 << 20)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewLineWriter(io.Discard)
		for p := log; len(p) > 0; {
			n := min(32<<10, len(p))
			if _, err := w.Write(p[:n]); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditReader streams an audit log (Metadata and RequestResponse
// events, a Secret among them) through the audit rules.
func BenchmarkAuditReader(b *testing.B) {
	var log bytes.Buffer
	for i := 0; log.Len() < 32<<20; i++ {
		switch i % 10 {
		case 0:
			fmt.Fprintf(&log, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"%08x","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns-%d/configmaps/cm","verb":"update","user":{"username":"system:serviceaccount:ns:sa"},"objectRef":{"resource":"configmaps","namespace":"ns-%d","name":"cm","apiVersion":"v1"},"responseStatus":{"code":200},"requestObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","namespace":"ns-%d"},"data":{"config.yaml":"proxy: http://proxy:3128\nlevel: 2\n"}},"responseObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","namespace":"ns-%d","resourceVersion":"%d"},"data":{"config.yaml":"proxy: http://proxy:3128\nlevel: 2\n"}},"requestReceivedTimestamp":"2026-11-26T12:00:00.000000Z","stageTimestamp":"2026-11-26T12:00:00.010000Z"}`+"\n", i, i, i, i, i, i)
		case 5:
			fmt.Fprintf(&log, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"%08x","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns/secrets","verb":"create","user":{"username":"admin"},"objectRef":{"resource":"secrets","namespace":"ns","name":"s%d","apiVersion":"v1"},"responseStatus":{"code":201},"requestObject":{"kind":"Secret","apiVersion":"v1","data":{"password":"aHVudGVyMg=="}},"responseObject":{"kind":"Secret","apiVersion":"v1","data":{"password":"aHVudGVyMg=="}},"requestReceivedTimestamp":"2026-11-26T12:00:00.000000Z","stageTimestamp":"2026-11-26T12:00:00.010000Z"}`+"\n", i, i)
		default:
			fmt.Fprintf(&log, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%08x-7f3c-4d2e-9a1b-%012x","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns-%d/pods?limit=500","verb":"list","user":{"username":"system:serviceaccount:ns-%d:sa","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.0.%d.%d"],"userAgent":"kube-controller-manager/v1.37.2","objectRef":{"resource":"pods","namespace":"ns-%d","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-26T12:00:00.000000Z","stageTimestamp":"2026-11-26T12:00:00.010000Z"}`+"\n",
				i, i*7919, i%300, i%300, i%256, i*13%256, i%300)
		}
	}
	b.SetBytes(int64(log.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.Copy(io.Discard, NewAuditReader(bytes.NewReader(log.Bytes()))); err != nil {
			b.Fatal(err)
		}
	}
}

// klogSample is about size bytes of kubelet-like klog lines.
func klogSample(size int) []byte {
	lines := []string{
		`I1126 15:32:39.931570    2231 kubelet.go:2431] "SyncLoop (PLEG): event for pod" pod="kube-system/coredns-7db6d8ff4d-%05d" event={"ID":"0d6a1b5c-8d8e-4c1f-9f8e-%012d","Type":"ContainerStarted","Data":"b6c1f0e0a9"}`,
		`I1126 15:32:40.002144    2231 reconciler_common.go:258] "operationExecutor.VerifyControllerAttachedVolume started for volume \"kube-api-access-%05d\" (UniqueName: \"kubernetes.io/projected/%012d-kube-api-access\") pod \"coredns\" (UID: \"0d6a1b5c\") " pod="kube-system/coredns"`,
		`E1126 15:32:41.118233    2231 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"app\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=app pod=app-%05d_default(%012d)\"" pod="default/app"`,
		`W1126 15:32:42.500000    2231 manager.go:1116] Failed to process watch event {EventType:0 Name:/kubepods/burstable/pod%05d ContainerRunner:%012d WatchSource:0}: task not found`,
		`I1126 15:32:43.770012    2231 kuberuntime_manager.go:1050] "Creating container in pod" containerType="" container="&Container{Name:app-%05d,Image:registry/app:v1,Env:[]EnvVar{EnvVar{Name:DB_PASSWORD,Value:hunter2,},},Args:[--token=abc%012d],}" pod="default/app"`,
		`I1126 15:32:44.100000    2231 secret.go:188] Setting up volume default-token-%05d for pod %012d at /var/lib/kubelet/pods/x/volumes/kubernetes.io~secret/default-token`,
	}
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, lines[i%len(lines)]+"\n", i%100000, i)
	}
	return b.Bytes()
}

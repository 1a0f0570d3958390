package leakscan

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	const (
		secret = "s3cr3t-value-1234"
		longer = "s3cr3t-value-1234-and-more" // shares the start of secret
		middle = "s3cr3t-value-1234-and"      // held after longer: between the two
	)
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	pad := strings.Repeat("x", chunk-5) // secret straddles the first chunk's end
	tests := []struct {
		name     string
		in       string
		want     string
		wantHits map[string]int
	}{
		{name: "nothing", in: "a log line\nanother\n", want: "a log line\nanother\n", wantHits: map[string]int{}},
		{name: "raw", in: "token " + secret + " end\n", want: "token REDACTED end\n", wantHits: map[string]int{"secret": 1}},
		{name: "base64", in: "data: " + b64 + "\n", want: "data: REDACTED\n", wantHits: map[string]int{"secret (base64)": 1}},
		{name: "twice, back to back", in: secret + secret, want: "REDACTEDREDACTED", wantHits: map[string]int{"secret": 2}},
		{name: "the longer value first", in: "[" + longer + "]", want: "[REDACTED]", wantHits: map[string]int{"other": 1}},
		{name: "the one between", in: "[" + middle + "-]", want: "[REDACTED-]", wantHits: map[string]int{"middle": 1}},
		{name: "across a chunk boundary", in: pad + secret + "!", want: pad + "REDACTED!", wantHits: map[string]int{"secret": 1}},
		{name: "at the very end", in: "x" + secret, want: "xREDACTED", wantHits: map[string]int{"secret": 1}},
		{name: "a near miss stays", in: "s3cr3t-value-123X", want: "s3cr3t-value-123X", wantHits: map[string]int{}},
	}
	s := New()
	s.Elided("secret", secret)
	s.Elided("other", longer)
	s.Elided("middle", middle)
	s.Elided("again", secret)    // held already: its first rule stays
	s.Elided("short", "1234567") // 7 bytes: counted, not looked for
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			hits, err := s.filter(&out, strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("filtered %q (%d bytes), want %q", trunc(out.String()), out.Len(), trunc(tc.want))
			}
			if diff := cmp.Diff(tc.wantHits, hits); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(Stats{Forms: 6, Short: 1}, s.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return "..." + s[len(s)-60:]
	}
	return s
}

func TestScanTree(t *testing.T) {
	t.Parallel()
	const secret = "planted-9f8e7d6c5b4a"
	root := t.TempDir()
	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = io.WriteString(zw, s)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	write("step/out.txt", []byte("an executable step wrote "+secret+"\n"))
	write("audit_logs/kube-apiserver/n1-audit.log.gz", gz(`{"verb":"get","value":"`+secret+`"}`+"\n"))
	write("ns/x/secrets.yaml", []byte("data:\n  k: "+base64.StdEncoding.EncodeToString([]byte(secret))+"\n"))
	write("clean.log", []byte("nothing here\n"))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "clean.log"), old, old); err != nil {
		t.Fatal(err)
	}

	s := New()
	s.Elided("Secret data", secret)
	leaks, err := s.ScanTree(t.Context(), root, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []Leak{
		{File: "audit_logs/kube-apiserver/n1-audit.log.gz", Rule: "Secret data", Count: 1},
		{File: "ns/x/secrets.yaml", Rule: "Secret data (base64)", Count: 1},
		{File: "step/out.txt", Rule: "Secret data", Count: 1},
	}
	if diff := cmp.Diff(want, leaks); diff != "" {
		t.Errorf("leaks (-want +got):\n%s", diff)
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("step/out.txt"); got != "an executable step wrote REDACTED\n" {
		t.Errorf("step/out.txt = %q", got)
	}
	zr, err := gzip.NewReader(strings.NewReader(read("audit_logs/kube-apiserver/n1-audit.log.gz")))
	if err != nil {
		t.Fatalf("the redacted .gz is no gzip file: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"verb":"get","value":"REDACTED"}`+"\n" {
		t.Errorf("audit log = %q", got)
	}
	if fi, err := os.Stat(filepath.Join(root, "clean.log")); err != nil || !fi.ModTime().Equal(old) || read("clean.log") != "nothing here\n" {
		t.Errorf("a file without a value was rewritten: %v %v", fi.ModTime(), err)
	}
	if fi, err := os.Stat(filepath.Join(root, "step/out.txt")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after the rewrite: %v, %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "step"))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	again, err := s.ScanTree(t.Context(), root, 2)
	if err != nil || len(again) != 0 {
		t.Errorf("a second scan found %v, %v", again, err)
	}
}

// BenchmarkScan measures the scan of a log with nothing to find (the cost
// a run pays), with as many values known as a small cluster's Secrets hold,
// a large one's (the bench's large profile: 2,000 Secrets of two values)
// and ten times that (its scale profile).
func BenchmarkScan(b *testing.B) {
	line := "I1202 09:25:59.990121   25317 loader.go:408] Config loaded from file: /var/lib/kubelet/kubeconfig uid=1234 pod=\"kube-system/etcd-master-0\"\n"
	data := []byte(strings.Repeat(line, (16<<20)/len(line)))
	for _, values := range []int{1000, 4000, 40000} {
		b.Run(fmt.Sprintf("values=%d", values), func(b *testing.B) {
			s := New()
			r := rand.New(rand.NewPCG(1, 2))
			for range values {
				v := make([]byte, 8+r.IntN(40))
				for i := range v {
					v[i] = byte('!' + r.IntN(94))
				}
				s.Elided("Secret data", string(v))
			}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.filter(io.Discard, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHold reports the memory the scanner holds per value elided (in
// its raw and base64 forms), at the scale profile's 40,000 Secret values:
// the part of a gather's memory that grows with the cluster.
func BenchmarkHold(b *testing.B) {
	const values = 40000
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]string, values)
	for i := range vs {
		v := make([]byte, 8+r.IntN(40))
		for j := range v {
			v[j] = byte('!' + r.IntN(94))
		}
		vs[i] = string(v)
	}
	var held uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New()
		for _, v := range vs {
			s.Elided("Secret data", v)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(s)
	}
	b.ReportMetric(float64(held)/values, "B/value")
}

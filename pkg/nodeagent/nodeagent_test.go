package nodeagent

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/agentstream"
)

func write(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now()
	since := now.Add(-time.Hour)
	write(t, filepath.Join(root, "var/log/kube-apiserver/audit.log"), "live\n", now)
	write(t, filepath.Join(root, "var/log/kube-apiserver/audit-old.log"), "ended before the window\n", now.Add(-2*time.Hour))
	write(t, filepath.Join(root, "var/log/kube-apiserver/audit-rotated.log.gz"), gz(t, "rotated\n"), now.Add(-time.Minute))
	if err := os.MkdirAll(filepath.Join(root, "var/log/kube-apiserver/subdir"), 0o755); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := WriteFiles(&out, root, []string{"var/log/kube-apiserver", "var/log/not-here"}, since); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var order []string
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		order = append(order, h.Name)
		if h.Name == agentstream.ListingName || h.Name == agentstream.EndName {
			got[h.Name] = string(b)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s is not gzip: %v", h.Name, err)
		}
		plain, _ := io.ReadAll(zr)
		got[h.Name] = string(plain)
	}
	want := map[string]string{
		agentstream.ListingName:                       "var/log/kube-apiserver/audit-old.log\nvar/log/kube-apiserver/audit-rotated.log.gz\nvar/log/kube-apiserver/audit.log\n",
		"var/log/kube-apiserver/audit.log.gz":         "live\n",
		"var/log/kube-apiserver/audit-rotated.log.gz": "rotated\n",
		agentstream.EndName:                           "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if order[0] != agentstream.ListingName || order[len(order)-1] != agentstream.EndName {
		t.Errorf("the listing is not first or the end mark not last: %v", order)
	}
}

func TestServiceLog(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// An empty journal directory is no journal.
	if err := os.MkdirAll(filepath.Join(root, "var/log/journal"), 0o755); err != nil {
		t.Fatal(err)
	}
	if HasJournal(root) {
		t.Fatal("an empty journal directory counts as a journal")
	}
	write(t, filepath.Join(root, "var/log/kubelet.log"), "I1126 kubelet line\n", time.Now())
	var out bytes.Buffer
	src, err := ServiceLog(t.Context(), &out, root, "kubelet", time.Time{})
	if err != nil || src != "file" || out.String() != "I1126 kubelet line\n" {
		t.Errorf("kubelet: source %q, %q, %v", src, out.String(), err)
	}
	out.Reset()
	src, err = ServiceLog(t.Context(), &out, root, "crio", time.Time{})
	if err != nil || src != "none" || out.Len() != 0 {
		t.Errorf("crio: source %q, %q, %v", src, out.String(), err)
	}
	write(t, filepath.Join(root, "run/log/journal/abc/system.journal"), "x", time.Now())
	if !HasJournal(root) {
		t.Error("a journal file is not seen")
	}
}

// A file larger than a chunk comes as consecutive entries of one name:
// gzip members that together decompress to the whole file; a file gzipped
// already too (decompressed, redacted, compressed again: no raw pieces).
func TestWriteFilesInChunks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now()
	var plain strings.Builder
	for i := range 400 {
		fmt.Fprintf(&plain, `{"kind":"Event","auditID":"%04d","verb":"get"}`+"\n", i)
	}
	rotatedPlain := strings.Repeat("rotated line\n", 300)
	rotated := gz(t, rotatedPlain)
	write(t, filepath.Join(root, "var/log/kube-apiserver/audit.log"), plain.String(), now)
	write(t, filepath.Join(root, "var/log/kube-apiserver/audit-1.log.gz"), rotated, now)
	write(t, filepath.Join(root, "var/log/kube-apiserver/empty.log"), "", now)

	var out bytes.Buffer
	const chunk = 1024
	if err := writeFiles(&out, root, []string{"var/log/kube-apiserver"}, time.Time{}, chunk); err != nil {
		t.Fatal(err)
	}
	joined := map[string][]byte{}
	entries := map[string]int{}
	marks := map[string][]string{} // per file: part/last/raw of each entry
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		joined[h.Name] = append(joined[h.Name], b...)
		entries[h.Name]++
		if h.Name != agentstream.ListingName && h.Name != agentstream.EndName {
			marks[h.Name] = append(marks[h.Name], h.PAXRecords[agentstream.RecordPart]+"/"+h.PAXRecords[agentstream.RecordLast])
		}
	}
	wantEntries := map[string]int{
		agentstream.ListingName:                 1,
		agentstream.EndName:                     1,
		"var/log/kube-apiserver/audit.log.gz":   (plain.Len() + chunk - 1) / chunk,
		"var/log/kube-apiserver/audit-1.log.gz": (len(rotatedPlain) + chunk - 1) / chunk,
		"var/log/kube-apiserver/empty.log.gz":   1,
	}
	if diff := cmp.Diff(wantEntries, entries); diff != "" {
		t.Errorf("entries per file (-want +got):\n%s", diff)
	}
	if wantEntries["var/log/kube-apiserver/audit.log.gz"] < 2 {
		t.Fatal("the test file is not bigger than a chunk")
	}
	// Parts numbered from 0, the last one marked.
	for name, n := range wantEntries {
		if name == agentstream.ListingName || name == agentstream.EndName {
			continue
		}
		var want []string
		for i := range n {
			last := ""
			if i == n-1 {
				last = "1"
			}
			want = append(want, fmt.Sprintf("%d/%s", i, last))
		}
		if diff := cmp.Diff(want, marks[name]); diff != "" {
			t.Errorf("%s: marks (-want +got):\n%s", name, diff)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(joined["var/log/kube-apiserver/audit.log.gz"]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != plain.String() {
		t.Errorf("members decompress to %d bytes (%v), want the %d bytes of the file", len(got), err, plain.Len())
	}
	zr, err = gzip.NewReader(bytes.NewReader(joined["var/log/kube-apiserver/audit-1.log.gz"]))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || string(got) != rotatedPlain {
		t.Errorf("the members of the gzipped file decompress to %d bytes (%v), want the %d bytes of its content", len(got), err, len(rotatedPlain))
	}
}

// BenchmarkWriteFiles streams a 64 MiB audit log (JSON lines) through the
// agent: throughput (MB/s of the file) and what it allocates per file.
func BenchmarkWriteFiles(b *testing.B) {
	root := b.TempDir()
	path := filepath.Join(root, "var/log/kube-apiserver/audit.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var size int64
	for i := 0; size < 64<<20; i++ {
		n, _ := fmt.Fprintf(w, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%08x-7f3c-4d2e-9a1b-%012x","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns-%d/pods?limit=500","verb":"list","user":{"username":"system:serviceaccount:ns-%d:sa","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.0.%d.%d"],"userAgent":"kube-controller-manager/v1.37.2","responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-26T12:%02d:%02d.%06dZ"}`+"\n",
			i, i*7919, i%300, i%300, i%256, i*13%256, i/60%60, i%60, i%1000000)
		size += int64(n)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var out countingWriter
	for b.Loop() {
		out = 0
		if err := WriteFiles(&out, root, []string{"var/log/kube-apiserver"}, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/float64(out), "ratio")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// Without a journal, a service's log is the first of /var/log/UNIT,
// UNIT.log and UNIT/UNIT.log, as the kubelet's log query looks for it.
func TestServiceLogFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now()
	write(t, filepath.Join(root, "var/log/plain"), "plain\n", now)
	write(t, filepath.Join(root, "var/log/dotlog.log"), "dotlog\n", now)
	write(t, filepath.Join(root, "var/log/nested/nested.log"), "nested\n", now)
	write(t, filepath.Join(root, "var/log/emptydir/other.log"), "not it\n", now)
	write(t, filepath.Join(root, "etc"), "a host file outside /var/log\n", now)
	tests := []struct{ unit, src, log string }{
		{"plain", "file", "plain\n"},
		{"dotlog", "file", "dotlog\n"},
		{"nested", "file", "nested\n"},
		{"emptydir", "none", ""},
		{"absent", "none", ""},
		{"..", "none", ""},        // refused: outside /var/log
		{"../../etc", "none", ""}, // refused
	}
	for _, tc := range tests {
		var out bytes.Buffer
		src, err := ServiceLog(t.Context(), &out, root, tc.unit, time.Time{})
		if strings.Contains(tc.unit, "..") {
			if err == nil || out.Len() > 0 {
				t.Errorf("%s: not refused (%q, %v)", tc.unit, out.String(), err)
			}
			continue
		}
		if err != nil || src != tc.src || out.String() != tc.log {
			t.Errorf("%s: source %q, log %q, %v; want %q, %q", tc.unit, src, out.String(), err, tc.src, tc.log)
		}
	}
}

// What the agent sends is redacted with the audit rules, in plain and in
// gzipped files alike: no secret leaves the node. A gzipped file that is
// not gzip is reported and the others go on.
func TestWriteFilesRedacts(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Now()
	const (
		secretEvent = `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s"},"requestObject":{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}}` + "\n"
		redacted    = `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s"}}` + "\n"
		uri         = `{"kind":"Event","auditID":"2","requestURI":"/api/v1/pods?access_token=abc"}` + "\n"
		uriRedacted = `{"kind":"Event","auditID":"2","requestURI":"/api/v1/pods?access_token=REDACTED"}` + "\n"
		text        = "I1126 termination.go:1] Authorization: Bearer abc\n"
		textMasked  = "I1126 termination.go:1] Authorization: Bearer REDACTED\n"
	)
	dir := "var/log/kube-apiserver"
	write(t, filepath.Join(root, dir, "audit.log"), secretEvent+uri, now)
	write(t, filepath.Join(root, dir, "audit-1.log.gz"), gz(t, uri+secretEvent), now)
	write(t, filepath.Join(root, dir, "termination.log"), text, now)
	write(t, filepath.Join(root, dir, "audit-2.log.gz"), "not gzip", now)

	var out bytes.Buffer
	err := WriteFiles(&out, root, []string{dir}, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "reading var/log/kube-apiserver/audit-2.log.gz") {
		t.Errorf("error = %v, want the file that is not gzip", err)
	}
	got := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == agentstream.ListingName || h.Name == agentstream.EndName {
			continue
		}
		zr, err := gzip.NewReader(tr)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		got[h.Name] = string(plain)
	}
	want := map[string]string{
		dir + "/audit.log.gz":       redacted + uriRedacted,
		dir + "/audit-1.log.gz":     uriRedacted + redacted,
		dir + "/termination.log.gz": textMasked,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
}

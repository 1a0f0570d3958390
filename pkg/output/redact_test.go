package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

func gunzipString(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

func gzipString(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every way of writing a plain file applies the line rules (audit logs:
// the audit rules); a file with nothing to redact is stored byte for byte,
// its last line without a newline too; gzip data from the node agent is
// stored as it comes.
func TestRedaction(t *testing.T) {
	t.Parallel()
	const (
		leaky = "I1126 a.go:1] login password=hunter2\nAuthorization: Bearer abc\nlast token=xyz"
		clean = "I1126 a.go:1] nothing here\r\nno newline at the end"
		want  = "I1126 a.go:1] login password=REDACTED\nAuthorization: Bearer REDACTED\nlast token=REDACTED"
	)
	secretEvent := `{"kind":"Event","verb":"create","objectRef":{"resource":"secrets","name":"s"},"requestObject":{"kind":"Secret","data":{"k":"dg=="}}}` + "\n"
	pregz := gzipString(t, "stored as it comes: password=hunter2\n")
	tests := []struct {
		name  string
		write func(s *Sink, rel, content string) error
		rel   string
		gz    bool
		in    string
		want  string
	}{
		{name: "Create", write: create, rel: "a.log", in: leaky, want: want},
		{name: "Create, nothing to redact", write: create, rel: "b.log", in: clean, want: clean},
		{name: "CreateGzip", write: func(s *Sink, rel, content string) error {
			f, err := s.CreateGzip(rel)
			if err != nil {
				return err
			}
			return writeClose(f, content)
		}, rel: "c.log.gz", gz: true, in: leaky, want: want},
		{name: "WriteFile", write: func(s *Sink, rel, content string) error { return s.WriteFile(rel, []byte(content)) }, rel: "d.txt", in: leaky, want: want},
		{name: "WriteMeta", write: func(s *Sink, rel, content string) error { return s.WriteMeta(rel, []byte(content)) }, rel: "e.json", in: leaky, want: want},
		{name: "AppendMeta", write: func(s *Sink, rel, content string) error {
			w, err := s.AppendMeta(rel)
			if err != nil {
				return err
			}
			return writeClose(w, content)
		}, rel: "gather-run.log", in: leaky, want: want},
		{name: "CreateAuditLog", write: func(s *Sink, rel, content string) error {
			f, err := s.CreateAuditLog(rel)
			if err != nil {
				return err
			}
			return writeClose(f, content)
		}, rel: "audit.log.gz", gz: true, in: secretEvent + leaky,
			want: `{"kind":"Event","verb":"create","objectRef":{"resource":"secrets","name":"s"}}` + "\n" + want},
		{name: "CreateGzipped: as it comes", write: func(s *Sink, rel, content string) error {
			f, err := s.CreateGzipped(rel)
			if err != nil {
				return err
			}
			return writeClose(f, content)
		}, rel: "agent.log.gz", gz: true, in: string(pregz), want: "stored as it comes: password=hunter2\n"},
	}
	s := newSink(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(s, tc.rel, tc.in); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(s.Root(), tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if tc.gz {
				got = gunzipString(t, b)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func create(s *Sink, rel, content string) error {
	f, err := s.Create(rel)
	if err != nil {
		return err
	}
	return writeClose(f, content)
}

// writeClose writes content in small writes, as a stream comes.
func writeClose(w io.WriteCloser, content string) error {
	for len(content) > 0 {
		n := min(5, len(content))
		if _, err := io.WriteString(w, content[:n]); err != nil {
			return err
		}
		content = content[n:]
	}
	return w.Close()
}

// Pieces appended keep their own lines: each piece's last line is written
// out, redacted, before the next piece.
func TestAppendRedacted(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{})
	var files []*File
	for _, content := range []string{"n1 password=a\nn1 partial token=b", "n2 secret=c\n", "n3 Authorization: Basic d"} {
		f, err := s.Create("host_service_logs/masters/kubelet_service.log")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, content); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if err := files[0].Append(files[1:]...); err != nil {
		t.Fatal(err)
	}
	if err := files[0].Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Root(), "host_service_logs/masters/kubelet_service.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := "n1 password=REDACTED\nn1 partial token=REDACTEDn2 secret=REDACTED\nn3 Authorization: Basic REDACTED"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

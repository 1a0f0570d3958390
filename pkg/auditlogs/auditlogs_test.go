package auditlogs

import (
	"archive/tar"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/gzip"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
)

func TestEndedBefore(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		since time.Time
		want  bool
	}{
		{name: "audit.log", since: since, want: false},
		{name: "audit-2026-11-26T11-59-59.999.log", since: since, want: true},
		{name: "audit-2026-11-26T11-59-59.999.log.gz", since: since, want: true},
		{name: "audit-2026-11-26T12-00-00.001.log", since: since, want: false},
		{name: "audit-2026-11-25T08-00-00.log", since: since, want: true},
		{name: "audit-2026-11-25T08-00-00.log", since: time.Time{}, want: false},
		{name: "not-a-timestamp-audit.log", since: since, want: false},
	}
	for _, tc := range tests {
		if got := endedBefore(tc.name, tc.since); got != tc.want {
			t.Errorf("endedBefore(%q, %v) = %v, want %v", tc.name, tc.since, got, tc.want)
		}
	}
}

// entry is one tar entry of a node agent stream: a file's part (see
// package agentstream) when part >= 0; cut ends the stream inside it.
type entry struct {
	name, body string
	part       int
	last, raw  bool
	cut        bool
}

func agentStream(t *testing.T, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.part >= 0 {
			h.Format, h.PAXRecords = tar.FormatPAX, map[string]string{agentstream.RecordPart: strconv.Itoa(e.part)}
			if e.last {
				h.PAXRecords[agentstream.RecordLast] = "1"
			}
			if e.raw {
				h.PAXRecords[agentstream.RecordRaw] = "1"
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.cut {
			_, _ = io.WriteString(tw, e.body[:len(e.body)/2])
			return b.Bytes() // the stream breaks here
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func member(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A file's parts are one file; when the stream breaks, the whole members
// that arrived are kept, as a valid gzip file of the start (a file gzipped
// already is dropped: its pieces are valid only all together), and the
// break is the error; so is a stream without its end mark, or an entry
// outside the components asked for.
func TestReadAgentStream(t *testing.T) {
	t.Parallel()
	const dir = "var/log/kube-apiserver/"
	listing := func(files ...string) entry {
		var b strings.Builder
		for _, f := range files {
			b.WriteString(dir + f + "\n")
		}
		return entry{name: ".listing", body: b.String(), part: -1}
	}
	end := entry{name: ".end", part: -1}
	rotated := member(t, "r1\nr2\n")
	tests := []struct {
		name      string
		entries   []entry
		wantFiles map[string]string // audit_logs path -> decompressed
		wantList  []string
		wantErr   string
	}{
		{
			name: "whole",
			entries: []entry{
				listing("audit.log", "audit-1.log.gz"),
				{name: dir + "audit.log.gz", body: member(t, "a\n")},
				{name: dir + "audit.log.gz", body: member(t, "b\n"), part: 1, last: true},
				{name: dir + "audit-1.log.gz", body: rotated[:10], raw: true},
				{name: dir + "audit-1.log.gz", body: rotated[10:], part: 1, last: true, raw: true},
				end,
			},
			wantFiles: map[string]string{"kube-apiserver/n1-audit.log.gz": "a\nb\n", "kube-apiserver/n1-audit-1.log.gz": "r1\nr2\n"},
			wantList:  []string{"kube-apiserver: n1 audit.log", "kube-apiserver: n1 audit-1.log.gz"},
		},
		{
			name: "broken in the second member of a file",
			entries: []entry{
				listing("audit.log"),
				{name: dir + "audit.log.gz", body: member(t, "a\n")},
				{name: dir + "audit.log.gz", body: member(t, "b\n"), part: 1, last: true, cut: true},
			},
			wantFiles: map[string]string{"kube-apiserver/n1-audit.log.gz": "a\n"},
			wantList:  []string{"kube-apiserver: n1 audit.log"},
			wantErr:   "var/log/kube-apiserver/audit.log.gz of n1 cut short: unexpected EOF",
		},
		{
			name: "broken between the pieces of a gzipped file",
			entries: []entry{
				listing("audit-1.log.gz"),
				{name: dir + "audit-1.log.gz", body: rotated[:10], raw: true},
				end, // no last part before it
			},
			wantList: []string{"kube-apiserver: n1 audit-1.log.gz"},
			wantErr:  "var/log/kube-apiserver/audit-1.log.gz of n1 did not arrive whole: dropped",
		},
		{
			name: "a file the agent could not read to its end, then another",
			entries: []entry{
				listing("audit-1.log", "audit.log"),
				{name: dir + "audit-1.log.gz", body: member(t, "a\n")}, // no last part: a read error on the node
				{name: dir + "audit.log.gz", body: member(t, "b\n"), last: true},
				end,
			},
			wantFiles: map[string]string{"kube-apiserver/n1-audit-1.log.gz": "a\n", "kube-apiserver/n1-audit.log.gz": "b\n"},
			wantList:  []string{"kube-apiserver: n1 audit-1.log", "kube-apiserver: n1 audit.log"},
			wantErr:   "var/log/kube-apiserver/audit-1.log.gz of n1 did not arrive whole: kept its first 1 parts",
		},
		{
			name: "no end mark",
			entries: []entry{
				listing("audit.log"),
				{name: dir + "audit.log.gz", body: member(t, "a\n"), last: true},
			},
			wantFiles: map[string]string{"kube-apiserver/n1-audit.log.gz": "a\n"},
			wantList:  []string{"kube-apiserver: n1 audit.log"},
			wantErr:   "the node agent's stream from n1 ended early",
		},
		{
			name:    "not a file of a log directory",
			entries: []entry{{name: "etc/shadow.gz", body: member(t, "x")}},
			wantErr: `unexpected entry "etc/shadow.gz"`,
		},
		{
			name:    "out of the components",
			entries: []entry{{name: "var/log/../x.gz", body: member(t, "x")}},
			wantErr: `unexpected entry "var/log/../x.gz"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink, err := output.New(t.TempDir(), output.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var listed []string
			err = readAgentStream(sink, bytes.NewReader(agentStream(t, tc.entries)), "n1", []string{"kube-apiserver"},
				func(comp, line string) { listed = append(listed, comp+": "+line) })
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
			got := map[string]string{}
			_ = filepath.WalkDir(sink.Root(), func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				rel, _ := filepath.Rel(filepath.Join(sink.Root(), "audit_logs"), p)
				raw, _ := os.ReadFile(p)
				zr, zerr := gzip.NewReader(bytes.NewReader(raw))
				if zerr != nil {
					t.Errorf("%s: not gzip: %v", rel, zerr)
					return nil
				}
				plain, rerr := io.ReadAll(zr)
				if rerr != nil {
					t.Errorf("%s: not a valid gzip file: %v", rel, rerr)
				}
				got[filepath.ToSlash(rel)] = string(plain)
				return nil
			})
			if diff := cmp.Diff(tc.wantFiles, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantList, listed); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

// Through the node log proxy, a read that breaks keeps what arrived of a
// file gzipped here (a valid gzip file of its start) and says so; a partial
// copy of an already gzipped file is dropped.
func TestFetchKeepsWhatArrived(t *testing.T) {
	t.Parallel()
	const body = "line 1\nline 2\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Promise more than is sent, then hang up: the client sees the
		// stream break after the body.
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := output.New(t.TempDir(), output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	proxy := nodes.LogProxy{CS: cs}

	err = fetch(t.Context(), sink, proxy, "n1", "kube-apiserver", "audit.log")
	if err == nil || !strings.Contains(err.Error(), "audit.log of n1 cut after 14 bytes (kept)") {
		t.Errorf("plain file: error = %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(sink.Root(), "audit_logs/kube-apiserver/n1-audit.log.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || string(plain) != body {
		t.Errorf("kept file = %q, %v; want %q, a valid gzip file", plain, err, body)
	}

	if err := fetch(t.Context(), sink, proxy, "n1", "kube-apiserver", "audit-1.log.gz"); err == nil {
		t.Error("gzipped file: no error")
	}
	if _, err := os.Stat(filepath.Join(sink.Root(), "audit_logs/kube-apiserver/n1-audit-1.log.gz")); err == nil {
		t.Error("a partial copy of a gzipped file was kept")
	}
}

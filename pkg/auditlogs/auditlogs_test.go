package auditlogs

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/gzip"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/agentstream/agentstreamtest"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
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

// cutIn returns stream broken one byte into the body of the last entry of
// a file's (see package agentstream), as when the connection to the node
// is lost.
func cutIn(t *testing.T, stream []byte, entry string) []byte {
	t.Helper()
	h := bytes.LastIndex(stream, []byte(entry+"\x00")) // a tar header starts with the name
	if h < 0 {
		t.Fatalf("no entry %q in the stream", entry)
	}
	return stream[:h+512+1]
}

// What auditlogs adds to agentstream.Reader (which its own tests cover):
// the files land as audit_logs/<component>/<node>-<file>.gz (a file gzipped
// on the node arrives decompressed, redacted and in members like any
// other), the listing becomes "<component>: <node> <file>" lines, only the
// components asked for are accepted, and of a broken stream the valid
// start of a file is kept and the break reported.
func TestReadAgentStream(t *testing.T) {
	t.Parallel()
	const (
		dir   = "var/log/kube-apiserver/"
		chunk = 8
		live  = "line 1\nline 2\nline 3\n" // sent in three entries
	)
	rotated := "r1\nr2\n" // what audit-1.log.gz holds
	whole := []agentstreamtest.File{{Name: dir + "audit.log", Content: live}, {Name: dir + "audit-1.log.gz", Content: rotated}}
	tests := []struct {
		name      string
		listing   []string
		files     []agentstreamtest.File
		cut       string            // the entry the stream breaks in
		wantFiles map[string]string // audit_logs path -> decompressed
		wantList  []string
		wantErr   string
	}{
		{
			name:      "whole",
			listing:   []string{dir + "audit.log", dir + "audit-1.log.gz", dir + "audit-2.log.gz"},
			files:     whole,
			wantFiles: map[string]string{"kube-apiserver/n1-audit.log.gz": live, "kube-apiserver/n1-audit-1.log.gz": rotated},
			wantList:  []string{"kube-apiserver: n1 audit.log", "kube-apiserver: n1 audit-1.log.gz", "kube-apiserver: n1 audit-2.log.gz"},
		},
		{
			name:      "broken in the last entry of a file",
			listing:   []string{dir + "audit.log"},
			files:     whole[:1],
			cut:       dir + "audit.log.gz",
			wantFiles: map[string]string{"kube-apiserver/n1-audit.log.gz": live[:2*chunk]},
			wantList:  []string{"kube-apiserver: n1 audit.log"},
			wantErr:   "var/log/kube-apiserver/audit.log.gz of n1 cut short: unexpected EOF",
		},
		{
			name:      "broken in a file gzipped on the node",
			listing:   []string{dir + "audit-1.log.gz"},
			files:     whole[1:],
			cut:       dir + "audit-1.log.gz",
			wantFiles: map[string]string{},
			wantList:  []string{"kube-apiserver: n1 audit-1.log.gz"},
			wantErr:   "var/log/kube-apiserver/audit-1.log.gz of n1 cut short",
		},
		{
			name:    "not a file of a log directory",
			files:   []agentstreamtest.File{{Name: "etc/shadow", Content: "x"}},
			wantErr: `unexpected entry "etc/shadow.gz"`,
		},
		{
			name:    "a component not asked for",
			files:   []agentstreamtest.File{{Name: "var/log/openshift-apiserver/audit.log", Content: "x"}},
			wantErr: `unexpected entry "var/log/openshift-apiserver/audit.log.gz"`,
		},
		{
			name:    "below a component's directory",
			files:   []agentstreamtest.File{{Name: dir + "sub/audit.log", Content: "x"}},
			wantErr: `unexpected entry "var/log/kube-apiserver/sub/audit.log.gz"`,
		},
		{
			name:    "out of the components",
			files:   []agentstreamtest.File{{Name: "var/log/../x", Content: "x"}},
			wantErr: `unexpected entry "var/log/../x.gz"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stream, _ := agentstreamtest.Write(t, chunk, tc.listing, tc.files...)
			if tc.cut != "" {
				stream = cutIn(t, stream, tc.cut)
			}
			sink, mem := outputtest.New(output.Options{})
			var listed []string
			err := readAgentStream(sink, bytes.NewReader(stream), "n1", []string{"kube-apiserver"},
				func(comp, line string) { listed = append(listed, comp+": "+line) })
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
			got := map[string]string{}
			for p, stored := range mem.Files() {
				rel := strings.TrimPrefix(p, "audit_logs/")
				plain, err := agentstreamtest.Gunzip([]byte(stored))
				if err != nil {
					t.Errorf("%s: not a valid gzip file: %v", p, err)
				}
				got[rel] = plain
			}
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

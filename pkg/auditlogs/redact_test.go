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

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
)

// Through the node log proxy, audit logs are redacted here: a live log and
// a rotated, gzipped one (decompressed, redacted, gzipped again); a
// gzipped one whose read breaks keeps a valid gzip file of its start.
func TestFetchRedacts(t *testing.T) {
	t.Parallel()
	const (
		secretEvent = `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s"},"requestObject":{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}}` + "\n"
		redacted    = `{"kind":"Event","auditID":"1","verb":"create","objectRef":{"resource":"secrets","namespace":"ns","name":"s"}}` + "\n"
		uri         = `{"kind":"Event","auditID":"2","requestURI":"/api/v1/pods?access_token=abc"}` + "\n"
		uriRedacted = `{"kind":"Event","auditID":"2","requestURI":"/api/v1/pods?access_token=REDACTED"}` + "\n"
	)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = io.WriteString(zw, uri+secretEvent)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	rotated := zb.Bytes()
	// A gzip stream that breaks after its first line: flushed there.
	var cb bytes.Buffer
	zw = gzip.NewWriter(&cb)
	_, _ = io.WriteString(zw, uri)
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	cut := cb.Bytes()
	files := map[string][]byte{
		"audit.log":        []byte(secretEvent + uri),
		"audit-1.log.gz":   rotated,
		"audit-cut.log.gz": cut,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := files[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]
		if strings.Contains(r.URL.Path, "cut") {
			w.Header().Set("Content-Length", "1000") // then hang up
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
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
	tests := []struct {
		name, rel, want, wantErr string
	}{
		{name: "audit.log", rel: "n1-audit.log.gz", want: redacted + uriRedacted},
		{name: "audit-1.log.gz", rel: "n1-audit-1.log.gz", want: uriRedacted + redacted},
		{name: "audit-cut.log.gz", rel: "n1-audit-cut.log.gz", want: uriRedacted, wantErr: "audit-cut.log.gz of n1 cut after"},
	}
	for _, tc := range tests {
		err := fetch(t.Context(), sink, proxy, "n1", "kube-apiserver", tc.name)
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.wantErr)
		}
		raw, err := os.ReadFile(filepath.Join(sink.Root(), "audit_logs/kube-apiserver", tc.rel))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Errorf("%s: not gzip: %v", tc.name, err)
			continue
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Errorf("%s: not a valid gzip file: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, string(plain)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

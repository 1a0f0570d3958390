package nodeagent

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
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
		if h.Name == ListingName {
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
		ListingName:                                   "var/log/kube-apiserver/audit-old.log\nvar/log/kube-apiserver/audit-rotated.log.gz\nvar/log/kube-apiserver/audit.log\n",
		"var/log/kube-apiserver/audit.log.gz":         "live\n",
		"var/log/kube-apiserver/audit-rotated.log.gz": "rotated\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if order[0] != ListingName {
		t.Errorf("the listing is not first: %v", order)
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

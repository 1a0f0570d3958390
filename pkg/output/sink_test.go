package output

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

func newSink(t *testing.T, opts Options) *Sink {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "dest"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tree lists the files below root (dotfiles included), relative.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			r, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rel     string
		wantErr bool
	}{
		{rel: "a.yaml"},
		{rel: "namespaces/ns/core/pods.yaml"},
		{rel: "", wantErr: true},
		{rel: "/etc/passwd", wantErr: true},
		{rel: "../escape", wantErr: true},
		{rel: "a/../../escape", wantErr: true},
		{rel: "a/../b", wantErr: true}, // not clean
		{rel: "a//b", wantErr: true},
		{rel: "./a", wantErr: true},
		{rel: ".", wantErr: true},
		{rel: `a\b`, wantErr: true},
	}
	s := newSink(t, Options{})
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			err := s.WriteFile(tc.rel, []byte("x"))
			if (err != nil) != tc.wantErr {
				t.Errorf("WriteFile(%q) error = %v, wantErr %v", tc.rel, err, tc.wantErr)
			}
		})
	}
	if diff := cmp.Diff([]string{"a.yaml", "namespaces/ns/core/pods.yaml"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestAtomicWriteAndModes(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{})
	f, err := s.Create("logs/current.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(f, "line 1\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "logs/current.log")); !os.IsNotExist(err) {
		t.Errorf("file visible before Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Root(), "logs/current.log"))
	if err != nil || string(b) != "line 1\n" {
		t.Fatalf("after Close: %q, %v", b, err)
	}
	fi, _ := os.Stat(filepath.Join(s.Root(), "logs/current.log"))
	di, _ := os.Stat(filepath.Join(s.Root(), "logs"))
	if fi.Mode().Perm() != 0o640 || di.Mode().Perm() != 0o750 {
		t.Errorf("modes: file %v dir %v, want 0640 and 0750", fi.Mode().Perm(), di.Mode().Perm())
	}

	g, err := s.Create("dropped.log")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(g, "partial")
	g.Abort()
	if diff := cmp.Diff([]string{"logs/current.log"}, tree(t, s.Root())); diff != "" {
		t.Errorf("after Abort, files (-want +got):\n%s", diff)
	}
}

func TestGzipAndCounters(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{})
	var step Counter
	v := s.WithCounter(&step)
	payload := bytes.Repeat([]byte("audit event\n"), 10000)
	f, err := v.CreateGzip("audit_logs/kube-apiserver/node-audit.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("other", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGzip("no-suffix"); err == nil {
		t.Error("CreateGzip accepted a name without .gz")
	}

	raw, err := os.ReadFile(filepath.Join(s.Root(), "audit_logs/kube-apiserver/node-audit.log.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("gzip round trip: %d bytes, %v", len(got), err)
	}
	if step.Files() != 1 || step.Bytes() != int64(len(raw)) {
		t.Errorf("step counter = %d files %d bytes, want 1 file %d bytes", step.Files(), step.Bytes(), len(raw))
	}
	if s.Total().Files() != 2 || s.Total().Bytes() != int64(len(raw))+5 {
		t.Errorf("total = %d files %d bytes, want 2 files %d bytes", s.Total().Files(), s.Total().Bytes(), len(raw)+5)
	}
}

func TestDiskGuard(t *testing.T) {
	t.Parallel()
	used := 50.0
	s := newSink(t, Options{VolumePercentage: 70, Usage: func(string) (float64, error) { return used, nil }})
	if err := s.WriteFile("before", []byte("ok")); err != nil {
		t.Fatalf("below the limit: %v", err)
	}

	// The disk fills while a big file streams: the write fails, and the
	// partial file is dropped.
	f, err := s.Create("big.log")
	if err != nil {
		t.Fatal(err)
	}
	used = 71
	_, err = f.Write(make([]byte, guardEvery))
	if !errors.Is(err, ErrVolumeFull) {
		t.Fatalf("write past the limit: error %v, want ErrVolumeFull", err)
	}
	f.Abort()

	// Sticky, even if space comes back; meta files still go through.
	used = 10
	if err := s.WriteFile("after", []byte("no")); !errors.Is(err, ErrVolumeFull) {
		t.Errorf("after tripping: error %v, want ErrVolumeFull", err)
	}
	if err := s.WriteMeta("gather-manifest.json", []byte("{}")); err != nil {
		t.Errorf("meta write after tripping: %v", err)
	}
	if s.Full() == nil {
		t.Error("Full() = nil after tripping")
	}
	if diff := cmp.Diff([]string{"before", "gather-manifest.json"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestDiskGuardDisabled(t *testing.T) {
	t.Parallel()
	for _, p := range []int{0, 100} {
		s := newSink(t, Options{VolumePercentage: p, Usage: func(string) (float64, error) { return 99.9, nil }})
		if err := s.WriteFile("x", []byte("x")); err != nil {
			t.Errorf("--volume-percentage %d: %v", p, err)
		}
	}
}

func TestStatfsUsage(t *testing.T) {
	t.Parallel()
	u, err := statfsUsage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if u <= 0 || u > 100 {
		t.Errorf("usage of the temp filesystem = %v%%, want within (0, 100]", u)
	}
}

// Pieces of one file written side by side are joined in order; the pieces
// leave no file behind, and the joined file counts once.
func TestAppend(t *testing.T) {
	t.Parallel()
	var c Counter
	s := newSink(t, Options{}).WithCounter(&c)
	var parts []*File
	for _, text := range []string{"a1\na2\n", "", "b1\n", "c1\nc2\n"} {
		f, err := s.Create("host/unit.log")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, text); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, f)
	}
	if err := parts[0].Append(parts[1:]...); err != nil {
		t.Fatal(err)
	}
	if err := parts[0].Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Root(), "host/unit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("a1\na2\nb1\nc1\nc2\n", string(b)); diff != "" {
		t.Errorf("joined file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"host/unit.log"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if c.Files() != 1 || c.Bytes() != int64(len(b)) {
		t.Errorf("counted %d files, %d bytes; want 1, %d", c.Files(), c.Bytes(), len(b))
	}

	// Gzip files cannot be joined this way; the pieces are dropped.
	gz, err := s.CreateGzip("x.gz")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Create("x")
	if err != nil {
		t.Fatal(err)
	}
	if err := gz.Append(plain); err == nil {
		t.Error("appending to a gzip file: no error")
	}
	gz.Abort()
	if diff := cmp.Diff([]string{"host/unit.log"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files after a refused append (-want +got):\n%s", diff)
	}
}

// A file of the run's record (written by WriteMeta or AppendMeta) cannot be
// replaced by a collector's write, whatever it asks; the record itself
// may be rewritten.
func TestRecordFilesAreKept(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{})
	if err := s.WriteMeta("gather-manifest.json", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	log, err := s.AppendMeta("gather-run.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(log, "started\n"); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"gather-manifest.json", "gather-run.log"} {
		if err := s.WriteFile(rel, []byte("overwritten\n")); err == nil {
			t.Errorf("WriteFile(%s) replaced a file of the run's record", rel)
		}
		if f, err := s.Create(rel); err == nil {
			f.Abort()
			t.Errorf("Create(%s) was allowed", rel)
		}
	}
	if err := s.WriteMeta("gather-manifest.json", []byte("{\"steps\":[]}\n")); err != nil {
		t.Errorf("rewriting the manifest: %v", err)
	}
	got := map[string]string{}
	for _, rel := range []string{"gather-manifest.json", "gather-run.log"} {
		b, err := os.ReadFile(filepath.Join(s.Root(), rel))
		if err != nil {
			t.Fatal(err)
		}
		got[rel] = string(b)
	}
	want := map[string]string{"gather-manifest.json": "{\"steps\":[]}\n", "gather-run.log": "started\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record files (-want +got):\n%s", diff)
	}
}

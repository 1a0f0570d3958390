package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/pods"
)

func TestPartName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		i    int
		want string
	}{
		{name: "first", file: "out/must-gather.local.1.tar.gz", i: 1, want: "out/must-gather.local.1.part-001.tar.gz"},
		{name: "tenth", file: "x.tar.gz", i: 10, want: "x.part-010.tar.gz"},
		{name: "beyond three digits", file: "x.tar.gz", i: 1234, want: "x.part-1234.tar.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := PartName(tt.file, tt.i)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PartName (-want +got):\n%s", diff)
			}
			archive, n, ok := splitPart(got)
			if diff := cmp.Diff([]any{tt.file, tt.i, true}, []any{archive, n, ok}); diff != "" {
				t.Errorf("splitPart(%s) (-want +got):\n%s", got, diff)
			}
		})
	}
}

func TestSplitPartRefuses(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"x.tar.gz", "x.part-01.tar.gz", "x.part-000.tar.gz", "x.part-0a1.tar.gz", "x.part-001.tgz", "x.part-001"} {
		if a, n, ok := splitPart(name); ok {
			t.Errorf("splitPart(%q) = %q, %d, true; want not a part", name, a, n)
		}
	}
}

// tree writes files (name: content) below a new folder named top.
func tree(t *testing.T, top string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), top)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readAll reads every regular file of fsys.
func readAll(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		got[name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// listPart reads one archive file on its own, as tar -tzf does: the
// regular files it holds and their contents.
func listPart(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	tr := tar.NewReader(zr)
	got := map[string]string{}
	dirs := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if h.Typeflag == tar.TypeDir {
			dirs[strings.TrimSuffix(h.Name, "/")] = true
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		// Every part holds the folders its files are in.
		if d := filepath.Dir(h.Name); d != "." && !dirs[d] {
			t.Errorf("%s: %s comes without its folder %s", file, h.Name, d)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", file, h.Name, err)
		}
		got[h.Name] = string(b)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatalf("%s: the gzip stream's end: %v", file, err)
	}
	return got
}

func randomText(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func TestWriteOpenRoundTrip(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"version":                           "must-gather-toolkit\n0.1.0\n",
		"timestamp":                         "start\nend\n",
		"namespaces/default/core/pods.yaml": strings.Repeat("kind: Pod\n", 1000),
		"namespaces/default/pods/p/c/c/logs/current.log":                         strings.Repeat("a log line\n", 5000),
		"cluster-scoped-resources/" + strings.Repeat("long-name-", 20) + ".yaml": "kind: Node\n",
	}
	dir := tree(t, "must-gather.local.1", files)
	if err := os.Symlink("version", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	file := ArchiveName(dir)
	a, err := Write(t.Context(), dir, file, Options{MaxPartSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{file}, a.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if a.Files != len(files) {
		t.Errorf("Files = %d, want %d", a.Files, len(files))
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if a.Bytes != fi.Size() {
		t.Errorf("Bytes = %d, the file has %d", a.Bytes, fi.Size())
	}
	wantInTar := map[string]string{}
	for k, v := range files {
		wantInTar["must-gather.local.1/"+k] = v
	}
	// The link is an entry of its own, not a file.
	if diff := cmp.Diff(wantInTar, listPart(t, file)); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}

	b, err := Open(t.Context(), file, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, b)
	link, err := fs.ReadFile(b, "link")
	if err != nil {
		t.Errorf("reading the link: %v", err)
	}
	if string(link) != files["version"] {
		t.Errorf("link reads %q, want the version file", link)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("opened archive (-want +got):\n%s", diff)
	}

	// The folder opens the same.
	fb, err := Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	if diff := cmp.Diff(files, readAll(t, fb)); diff != "" {
		t.Errorf("opened folder (-want +got):\n%s", diff)
	}
}

func TestWriteSplits(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		files   map[string]string
		max     int64
		minPart int // at least this many parts
		big     string
	}{
		{
			name:    "incompressible files",
			files:   map[string]string{},
			max:     MinPartSize * 2,
			minPart: 4,
		},
		{
			name:    "compressible logs fill parts beyond their raw size",
			files:   map[string]string{},
			max:     MinPartSize,
			minPart: 2,
		},
		{
			name:    "a file larger than a part goes alone",
			files:   map[string]string{"a/small": "x", "b/big": "", "c/small": "y"},
			max:     MinPartSize,
			minPart: 3,
			big:     "b/big",
		},
	}
	for i := range 40 {
		tests[0].files[fmt.Sprintf("ns-%d/pods/p/logs/current.log", i%7)+fmt.Sprint(i)] = randomText(r, 20<<10+r.IntN(10<<10))
	}
	for i := range 200 {
		var sb strings.Builder
		for j := range 300 {
			fmt.Fprintf(&sb, "2026-01-01T00:00:%02dZ line %d of log %d %s\n", j%60, j, i, randomText(r, 2))
		}
		tests[1].files[fmt.Sprintf("namespaces/ns-%d/log", i)] = sb.String()
	}
	tests[2].files["b/big"] = randomText(r, 3*MinPartSize)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, "mg", tt.files)
			file := ArchiveName(dir)
			// A stale archive and more parts than this Write makes, from an
			// earlier Write: they go.
			for _, stale := range []string{file, PartName(file, 30), PartName(file, 31)} {
				if err := os.WriteFile(stale, []byte("old"), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			var logs []string
			a, err := Write(t.Context(), dir, file, Options{MaxPartSize: tt.max, Logf: func(f string, args ...any) { logs = append(logs, fmt.Sprintf(f, args...)) }})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Paths) < tt.minPart {
				t.Fatalf("%d parts, want at least %d", len(a.Paths), tt.minPart)
			}
			union := map[string]string{}
			var total int64
			for i, p := range a.Paths {
				if p != PartName(file, i+1) {
					t.Errorf("part %d is %s, want %s", i+1, p, PartName(file, i+1))
				}
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				total += fi.Size()
				files := listPart(t, p)
				if fi.Size() > tt.max && !(len(files) == 1 && files["mg/"+tt.big] != "") {
					t.Errorf("part %s is %d bytes, above %d, with %d files", p, fi.Size(), tt.max, len(files))
				}
				for name, content := range files {
					if _, dup := union[name]; dup {
						t.Errorf("%s is in two parts", name)
					}
					union[strings.TrimPrefix(name, "mg/")] = content
				}
			}
			if diff := cmp.Diff(tt.files, union); diff != "" {
				t.Errorf("the parts together (-want +got):\n%s", diff)
			}
			if total != a.Bytes {
				t.Errorf("Bytes = %d, the parts have %d", a.Bytes, total)
			}
			for _, stale := range []string{file, PartName(file, 30)} {
				if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s of an earlier archive is still there (%v)", stale, err)
				}
			}
			said := strings.Join(logs, "\n")
			if tt.big != "" && !strings.Contains(said, tt.big) {
				t.Errorf("the log does not name the file larger than a part, %s:\n%s", tt.big, said)
			}
			if tt.big == "" && said != "" {
				t.Errorf("unexpected log:\n%s", said)
			}

			// Opened from the first part, the bundle holds every file.
			b, err := Open(t.Context(), a.Paths[0], t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if diff := cmp.Diff(a.Paths, b.Parts); diff != "" {
				t.Errorf("parts read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.files, readAll(t, b)); diff != "" {
				t.Errorf("opened bundle (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteFillsParts holds the splitter to parts that are not much
// smaller than they may be: a part ends only when the next file, as if
// it did not compress at all, could not fit.
func TestWriteFillsParts(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("f%03d", i)] = randomText(r, 1000+r.IntN(3000))
	}
	dir := tree(t, "mg", files)
	const max = 256 << 10
	a, err := Write(t.Context(), dir, ArchiveName(dir), Options{MaxPartSize: max})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Paths[:len(a.Paths)-1] {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// The largest file's worst case and the reserve are what a part may
		// leave unused.
		if least := max - worst(tarSize("mg/f000", 4000)+512) - reserve; fi.Size() < least {
			t.Errorf("part %s is %d bytes, below %d", p, fi.Size(), least)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(t.Context(), filepath.Join(dir, "x.part-002.tar.gz"), ""); err == nil {
		t.Error("Open of a missing file: no error")
	}
	p2 := filepath.Join(dir, "x.part-002.tar.gz")
	if err := os.WriteFile(p2, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), p2, ""); err == nil || !strings.Contains(err.Error(), "x.part-001.tar.gz") {
		t.Errorf("Open of a second part: %v, want an error naming the first", err)
	}
	zip := filepath.Join(dir, "x.zip")
	if err := os.WriteFile(zip, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), zip, ""); err == nil {
		t.Error("Open of a .zip: no error")
	}
}

// TestOpenIsSafe: entries of an archive that climb or lead out are
// skipped and said, and the FS of a folder does not follow a link out.
func TestOpenIsSafe(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("no"), 0o640); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "ok", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644},
		{Name: "../climb", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644},
		{Name: "/abs", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644},
		{Name: "out", Typeflag: tar.TypeSymlink, Linkname: filepath.Join(outside, "secret")},
		{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../secret"},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte("hi")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	file := filepath.Join(t.TempDir(), "hostile.tar.gz")
	if err := os.WriteFile(file, raw.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := Open(t.Context(), file, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"ok": "hi"}, readAll(t, b)); diff != "" {
		t.Errorf("bundle (-want +got):\n%s", diff)
	}
	if len(b.Skipped) != 4 {
		t.Errorf("skipped %d entries, want 4: %v", len(b.Skipped), b.Skipped)
	}
	for _, e := range b.Skipped {
		if !errors.Is(e, pods.ErrUnsafe) {
			t.Errorf("skipped: %v, not pods.ErrUnsafe", e)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("Close left %d entries in the temporary folder", len(left))
	}

	// A folder with a link out: the FS refuses to follow it.
	dir := tree(t, "mg", map[string]string{"a": "x", "b": "y"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	fb, err := Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	for _, name := range []string{"out", "../" + filepath.Base(outside) + "/secret", "/etc/passwd"} {
		if data, err := fs.ReadFile(fb, name); err == nil {
			t.Errorf("reading %s through the bundle: %q, want an error", name, data)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	dir := tree(t, "mg", map[string]string{"a": "x"})
	tests := []struct {
		name string
		file string
		opts Options
	}{
		{name: "not .tar.gz", file: dir + ".tgz"},
		{name: "part too small", file: dir + ".tar.gz", opts: Options{MaxPartSize: MinPartSize - 1}},
		{name: "no such folder", file: filepath.Join(t.TempDir(), "missing.tar.gz")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := dir
			if tt.name == "no such folder" {
				d = filepath.Join(t.TempDir(), "missing")
			}
			if _, err := Write(t.Context(), d, tt.file, tt.opts); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestBaseName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/tmp/must-gather.tar.gz":          "/tmp/must-gather",
		"/tmp/must-gather.part-001.tar.gz": "/tmp/must-gather",
		"/tmp/must-gather.part-012.tar.gz": "/tmp/must-gather",
		"bundle.tgz":                       "bundle",
		"notes.txt":                        "notes.txt",
	} {
		if got := BaseName(in); got != want {
			t.Errorf("BaseName(%q) = %q, want %q", in, got, want)
		}
	}
}

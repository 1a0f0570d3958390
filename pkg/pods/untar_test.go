package pods

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hdr is one entry of a crafted tar stream.
type hdr struct {
	name string
	typ  byte
	link string
	body string
	mode int64
}

func mkdir(name string) hdr            { return hdr{name: name, typ: tar.TypeDir} }
func file(name, body string) hdr       { return hdr{name: name, typ: tar.TypeReg, body: body} }
func symlink(name, target string) hdr  { return hdr{name: name, typ: tar.TypeSymlink, link: target} }
func hardlink(name, target string) hdr { return hdr{name: name, typ: tar.TypeLink, link: target} }

func tarOf(t testing.TB, entries []hdr) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o777
		}
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: mode, Size: int64(len(e.body))}
		if e.typ == tar.TypeChar || e.typ == tar.TypeBlock {
			h.Devmajor, h.Devminor = 1, 3
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
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

// tree describes what is under dir: "dir 750", "file 640 CONTENT",
// "link TARGET".
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			got[rel] = "link " + target
		case d.IsDir():
			got[rel] = "dir " + info.Mode().Perm().String()
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = "file " + info.Mode().Perm().String() + " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

const (
	dir750  = "dir -rwxr-x---"
	file640 = "file -rw-r----- "
)

func TestUntar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []hdr
		want    map[string]string // below dest
		refused []string          // names refused, in order
	}{
		{
			name: "a tree as tar cf - -C DIR . writes it, modes fixed",
			entries: []hdr{
				mkdir("./"), {name: "./a/", typ: tar.TypeDir, mode: 0o700},
				{name: "./a/b.txt", typ: tar.TypeReg, body: "b", mode: 0o4777}, {name: "./c", typ: tar.TypeReg, body: "c", mode: 0o600},
				file("./d/e/f", "f"), // parents made
				symlink("./a/l", "../c"), symlink("./l2", "./a/b.txt"), hardlink("./h", "./a/b.txt"),
			},
			want: map[string]string{
				"a": dir750, "a/b.txt": file640 + "b", "c": file640 + "c",
				"d": dir750, "d/e": dir750, "d/e/f": file640 + "f",
				"a/l": "link ../c", "l2": "link ./a/b.txt", "h": file640 + "b",
			},
		},
		{
			name: "absolute and climbing names",
			entries: []hdr{
				file("/etc/evil", "x"), file("../evil", "x"), file("a/../../evil", "x"), mkdir(".."),
				file("a/../b", "b"), // stays inside: written as b
			},
			want:    map[string]string{"b": file640 + "b"},
			refused: []string{"/etc/evil", "../evil", "a/../../evil", ".."},
		},
		{
			name: "symbolic links out of the destination",
			entries: []hdr{
				symlink("abs", "/etc"), symlink("up", ".."), symlink("a/up2", "../../x"), symlink("downup", "a/../../x"), symlink("empty", ""),
			},
			want:    map[string]string{}, // nothing made for what is refused
			refused: []string{"abs", "up", "a/up2", "downup", "empty"},
		},
		{
			// s -> . is inside, but s/.. is then the parent of dest;
			// a/up -> .. is dest, a/v -> up/.. would be its parent.
			name: "a link climbing through another link",
			entries: []hdr{
				symlink("s", "."), symlink("t", "s/.."), symlink("u", "s/s/../.."),
				symlink("a/up", ".."), symlink("a/v", "up/.."),
			},
			want:    map[string]string{"s": "link .", "a": dir750, "a/up": "link .."},
			refused: []string{"t", "u", "a/v"},
		},
		{
			name: "entries below a link",
			entries: []hdr{
				mkdir("real/"), symlink("l", "real"), file("l/f", "x"), symlink("l/m", ".."),
				file("file", "f"), file("file/x", "x"),
			},
			want:    map[string]string{"real": dir750, "l": "link real", "file": file640 + "f"},
			refused: []string{"l/f", "l/m", "file/x"},
		},
		{
			name: "devices and FIFOs",
			entries: []hdr{
				{name: "null", typ: tar.TypeChar}, {name: "sda", typ: tar.TypeBlock}, {name: "fifo", typ: tar.TypeFifo},
				file("ok", "ok"),
			},
			want:    map[string]string{"ok": file640 + "ok"},
			refused: []string{"null", "sda", "fifo"},
		},
		{
			name: "hard links",
			entries: []hdr{
				file("f", "f"), symlink("l", "f"), mkdir("d/"),
				hardlink("out", "../etc/passwd"), hardlink("abs", "/etc/passwd"), hardlink("tolink", "l"),
				hardlink("todir", "d"), hardlink("missing", "nothing"), hardlink("ok", "f"),
			},
			want:    map[string]string{"f": file640 + "f", "l": "link f", "d": dir750, "ok": file640 + "f"},
			refused: []string{"out", "abs", "tolink", "todir", "missing"},
		},
		{
			// A file over a hard link replaces the link: the file it
			// shared its data with keeps its content.
			name: "a file never written through what is there",
			entries: []hdr{
				file("f", "original"), hardlink("h", "f"), file("h", "new"),
				symlink("l", "f"), file("l", "over the link"),
				mkdir("d/"), file("d", "over a dir"), symlink("d", "f"),
				symlink("./", "f"),
				file("x", "x"), mkdir("x/"), // a directory replaces a file
			},
			want:    map[string]string{"f": file640 + "original", "h": file640 + "new", "l": file640 + "over the link", "d": dir750, "x": dir750},
			refused: []string{"d", "d", "./"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			err := Untar(t.Context(), bytes.NewReader(tarOf(t, tc.entries)), dest)
			var refused []string
			for _, e := range unjoin(err) {
				if !errors.Is(e, ErrUnsafe) {
					t.Errorf("error %v does not wrap ErrUnsafe", e)
				}
				refused = append(refused, quoted(e.Error()))
			}
			if diff := cmp.Diff(tc.refused, refused); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, tree(t, dest)); diff != "" {
				t.Errorf("unpacked (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"dest": dir750}, topLevel(t, parent)); diff != "" {
				t.Errorf("next to dest (-want +got):\n%s", diff)
			}
		})
	}
}

// A stream that breaks keeps the entries before the break and says so.
func TestUntarBrokenStream(t *testing.T) {
	t.Parallel()
	stream := tarOf(t, []hdr{file("a", "a"), file("b", strings.Repeat("b", 2000))})
	dest := t.TempDir()
	err := Untar(t.Context(), bytes.NewReader(stream[:len(stream)-1500]), dest)
	if err == nil || errors.Is(err, ErrUnsafe) {
		t.Errorf("error = %v, want the break", err)
	}
	if got := tree(t, dest)["a"]; got != file640+"a" {
		t.Errorf("a = %q, want it kept", got)
	}
}

// zeros is an endless reader.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// An endless stream, of one endless entry or of endless entries, ends with
// the context: Untar returns its error.
func TestUntarEndless(t *testing.T) {
	t.Parallel()
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	entry := tarOf(t, []hdr{file("a", "a")})
	entry = entry[:len(entry)-1024] // without the end of the archive
	tests := []struct {
		name   string
		stream io.Reader
	}{
		{"one endless entry", io.MultiReader(&head, zeros{})},
		{"endless entries", repeatReader(entry)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			start := time.Now()
			err := Untar(ctx, tc.stream, dest)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want the context's", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Untar returned after %s", took)
			}
			if got := topLevel(t, parent); len(got) != 1 {
				t.Errorf("next to the destination: %v", got)
			}
		})
	}
}

// repeatReader reads b again and again.
func repeatReader(b []byte) io.Reader {
	at := 0
	return readerFunc(func(p []byte) (int, error) {
		n := 0
		for n < len(p) {
			k := copy(p[n:], b[at:])
			n += k
			at = (at + k) % len(b)
		}
		return n, nil
	})
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A done context stops the unpacking.
func TestUntarStopped(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dest := t.TempDir()
	err := Untar(ctx, bytes.NewReader(tarOf(t, []hdr{file("a", "a")})), dest)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if got := tree(t, dest); len(got) != 0 {
		t.Errorf("unpacked %v after the stop", got)
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// quoted returns the first quoted part of s (the entry's name).
func quoted(s string) string {
	_, rest, _ := strings.Cut(s, `"`)
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

func topLevel(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if e.IsDir() {
			got[e.Name()] = "dir " + info.Mode().Perm().String()
		} else {
			got[e.Name()] = info.Mode().String()
		}
	}
	return got
}

// rawEntry is a tar entry (header block, body, padding) of type typ, which
// tar.Writer would not write: its header written as a file's, then the
// type and checksum changed. oldGNU writes the old GNU sparse fields: one
// hole of realSize bytes.
func rawEntry(t testing.TB, name string, typ byte, body []byte, realSize int64) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), Format: tar.FormatGNU}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[156] = typ
	if typ == tar.TypeGNUSparse {
		copy(raw[386:], fmt.Sprintf("%011o\x00", realSize)) // the hole: data starts at realSize
		copy(raw[398:], fmt.Sprintf("%011o\x00", 0))
		copy(raw[483:], fmt.Sprintf("%011o\x00", realSize))
	}
	copy(raw[148:156], "        ")
	sum := 0
	for _, c := range raw[:512] {
		sum += int(c)
	}
	copy(raw[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return raw
}

// paxRecord is one record of a PAX header: its length counts itself.
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec) + 1
	for len(fmt.Sprint(n))+len(rec) != n {
		n++
	}
	return fmt.Sprint(n) + rec
}

// A sparse file, in the old GNU format or in PAX's, is refused: the few
// bytes of its entry declare a hole of 1 GiB, which unpacked would be
// written out. The entry after it is unpacked.
func TestUntarRefusesSparseFiles(t *testing.T) {
	t.Parallel()
	const hole = 1 << 30
	sparseMap := make([]byte, 512)
	copy(sparseMap, fmt.Sprintf("1\n%d\n0\n", hole))
	pax := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", "pax-bomb") + paxRecord("GNU.sparse.realsize", fmt.Sprint(hole))
	after := tarOf(t, []hdr{file("after", "after")})
	tests := []struct {
		name   string
		stream []byte
	}{
		{"old GNU", slices.Concat(rawEntry(t, "gnu-bomb", tar.TypeGNUSparse, nil, hole), after)},
		{"PAX 1.0", slices.Concat(rawEntry(t, "pax", tar.TypeXHeader, []byte(pax), 0), rawEntry(t, "GNUSparseFile.0/pax-bomb", tar.TypeReg, sparseMap, 0), after)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			err := Untar(t.Context(), bytes.NewReader(tc.stream), dest)
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "a sparse file") {
				t.Errorf("error = %v, want the sparse file refused", err)
			}
			if diff := cmp.Diff(map[string]string{"after": file640 + "after"}, tree(t, dest)); diff != "" {
				t.Errorf("unpacked (-want +got):\n%s", diff)
			}
		})
	}
}

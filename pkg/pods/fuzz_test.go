//go:build unix

package pods

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// entriesOf decodes a fuzzer's text into tar entries, one a line:
// a type letter (d dir, f file, l symlink, h hard link, c device, p FIFO),
// the name, and for links a tab and the target.
func entriesOf(text string) []hdr {
	types := map[byte]byte{'d': tar.TypeDir, 'f': tar.TypeReg, 'l': tar.TypeSymlink, 'h': tar.TypeLink, 'c': tar.TypeChar, 'p': tar.TypeFifo}
	var out []hdr
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		typ, ok := types[line[0]]
		if !ok {
			typ = tar.TypeReg
		}
		name, link, _ := strings.Cut(line[1:], "\t")
		e := hdr{name: name, typ: typ, link: link}
		if typ == tar.TypeReg {
			e.body = "data of " + name
		}
		out = append(out, e)
	}
	return out
}

// untarSeeds are crafted streams, in entriesOf's form: escapes of every
// kind, alone and chained.
var untarSeeds = []string{
	"d.\nda\nfa/b\nla/c\tb\nha/d\ta/b\n",
	"f../x\nf/etc/x\nfa/../../x\n",
	"lout\t..\nfout/x\n",
	"lout\t/\nfout/x\n",
	"da\nla/up\t..\nla/up2\tup/..\nfa/up2/x\n",
	"lx\t../outside\nhy\tx\n",
	"h/etc/passwd\t/etc/passwd\nhz\t../outside/sentinel\n",
	"cdev\npfifo\n",
	"la\tb\nlb\ta\nfa/x\n",
	"fa\nda\nfa/b\n",
	"da\nla/b\t../../outside\nfa/b/c\n",
}

// FuzzUntar: whatever the stream, Untar writes nothing outside its
// destination, leaves no link there that leads out of it, no device file
// or FIFO, no hard link to a file outside, and the modes it promises; and
// it writes no more bytes than the stream holds (no sparse file's holes).
func FuzzUntar(f *testing.F) {
	for _, s := range untarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, e := range entriesOf(text) {
			h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o777, Size: int64(len(e.body))}
			if tw.WriteHeader(h) != nil {
				return // not a header tar can write
			}
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		checkUntar(t, b.Bytes())
	})
}

// FuzzUntarBytes: any bytes as a tar stream, with the checks of FuzzUntar.
func FuzzUntarBytes(f *testing.F) {
	for _, s := range untarSeeds {
		f.Add(tarOf(f, entriesOf(s)))
	}
	f.Add(rawEntry(f, "bomb", tar.TypeGNUSparse, nil, 1<<30)) // a sparse file: 512 bytes, a hole of 1 GiB
	f.Fuzz(func(t *testing.T, stream []byte) {
		checkUntar(t, stream)
	})
}

// checkUntar unpacks stream into a destination that has a sibling
// directory with a file in it, and checks what is there after.
func checkUntar(t *testing.T, stream []byte) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "dest")
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o750); err != nil {
		t.Fatal(err)
	}
	sentinel := filepath.Join(outside, "sentinel")
	if err := os.WriteFile(sentinel, []byte("keep"), 0o640); err != nil {
		t.Fatal(err)
	}
	_ = Untar(t.Context(), bytes.NewReader(stream), dest)

	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "dest" && e.Name() != "outside" {
			t.Fatalf("%s written next to the destination", e.Name())
		}
	}
	entries, err = os.ReadDir(outside)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the sibling directory holds %v (%v), want only its sentinel", entries, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(sentinel, &st); err != nil || st.Nlink != 1 {
		t.Fatalf("the sentinel outside has %d links (%v)", st.Nlink, err)
	}
	if b, err := os.ReadFile(sentinel); err != nil || string(b) != "keep" {
		t.Fatalf("the sentinel outside is %q (%v)", b, err)
	}
	written := map[uint64]int64{} // by inode: hard links count once
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode&fs.ModeSymlink != 0:
			if end := resolve(t, dest, p); end != dest && !strings.HasPrefix(end, dest+"/") {
				t.Fatalf("link %s leads to %s, outside the destination", p, end)
			}
		case mode.IsDir():
			if mode.Perm() != dirMode {
				t.Fatalf("directory %s is %v", p, mode)
			}
		case mode.IsRegular():
			if mode.Perm() != fileMode {
				t.Fatalf("file %s is %v", p, mode)
			}
			written[info.Sys().(*syscall.Stat_t).Ino] = info.Size()
		default:
			t.Fatalf("%s is a %v", p, mode.Type())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range written {
		total += n
	}
	if total > int64(len(stream)) {
		t.Fatalf("unpacked %d bytes from a stream of %d", total, len(stream))
	}
}

// resolve follows the links of path p as the kernel would, also where what
// it leads to does not exist (yet), and returns where it ends.
func resolve(t *testing.T, dest, p string) string {
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		part := rest[0]
		rest = rest[1:]
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return dest // a loop: the kernel gives ELOOP, it leads nowhere
		}
		target, err := os.Readlink(next)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return cur
}

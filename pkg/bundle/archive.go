package bundle

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/must-gather/toolkit/pkg/pods"
)

// MinPartSize is the smallest part size Write accepts.
const MinPartSize = 64 << 10

// reserve is room kept in every part for the end of its tar stream (two
// zero blocks) and of its gzip stream (flush and trailer).
const reserve = 8 << 10

// blockSize is the size of the blocks pgzip compresses side by side.
const blockSize = 1 << 20

// Options tune Write.
type Options struct {
	// MaxPartSize, when above 0, is the largest size of an archive file:
	// a larger archive becomes numbered parts (see Write).
	MaxPartSize int64
	// Concurrency is how many blocks are compressed at once (0: one per
	// CPU); 1 compresses on one core.
	Concurrency int
	// Logf, when set, is told what is worth saying (a part above
	// MaxPartSize, an entry left out).
	Logf func(format string, args ...any)
}

// Archive is what Write wrote.
type Archive struct {
	// Paths are the archive files: one, or the parts in order.
	Paths []string
	// Bytes is their size in all; Files the regular files they hold.
	Bytes int64
	Files int
}

// Write archives the folder dir as file (<base>.tar.gz), its entries
// under dir's own name (as tar -czf file dir writes them), compressed
// with parallel gzip. With a MaxPartSize the archive is written as parts
// of at most that size, <base>.part-001.tar.gz, ...: each a complete
// .tar.gz with the directories its files need, no file split between
// two; a file that cannot fit even in an empty part goes whole in a part
// of its own, which is then larger (Logf says so). When everything fits
// in one part, the archive is file alone. Files are taken as they are
// when Write reaches them (a file that grows meanwhile is taken up to
// its size then). Nothing is visible at the final names before the whole
// archive is written; parts and archives of an earlier Write to the same
// file are removed then.
func Write(ctx context.Context, dir, file string, opts Options) (*Archive, error) {
	if !strings.HasSuffix(file, Ext) {
		return nil, fmt.Errorf("archive %s: its name must end in %s", file, Ext)
	}
	if opts.MaxPartSize > 0 && opts.MaxPartSize < MinPartSize {
		return nil, fmt.Errorf("a part size of %d bytes is below the least, %d", opts.MaxPartSize, MinPartSize)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("archiving %s: %w", dir, err)
	}
	defer root.Close()
	w := &writer{ctx: ctx, opts: opts, root: root, prefix: filepath.Base(filepath.Clean(dir)), dest: filepath.Dir(file), base: filepath.Base(file)}
	a, err := w.write()
	if err != nil {
		w.abort()
		return nil, fmt.Errorf("archiving %s as %s: %w", dir, file, err)
	}
	if err := w.publish(file, a); err != nil {
		w.abort()
		return nil, fmt.Errorf("archiving %s as %s: %w", dir, file, err)
	}
	return a, nil
}

// writer is one Write under way.
type writer struct {
	ctx    context.Context
	opts   Options
	root   *os.Root
	prefix string // the entries' top folder
	dest   string // the folder of the archive files
	base   string
	temps  []string // the parts written, under temporary names
	part   *part
	files  int
}

// part is the archive file being written.
type part struct {
	f     *os.File
	out   countingWriter
	gz    *pgzip.Writer
	tw    *tar.Writer
	raw   int64           // tar bytes given to gz since its last flush
	dirs  map[string]bool // the directories it holds
	files int
	empty bool   // it holds its top folder alone
	big   string // the file too big for any part it holds, if any
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (w *writer) write() (*Archive, error) {
	err := fs.WalkDir(w.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		switch {
		case d.IsDir():
			return w.addDir(name)
		case d.Type().IsRegular():
			return w.addFile(name)
		case d.Type()&fs.ModeSymlink != 0:
			return w.addLink(name)
		}
		w.opts.Logf("archive: left out %s, neither a file, a folder nor a link (%s)", name, d.Type())
		return nil
	})
	if err == nil && w.part == nil {
		// An empty folder is still an archive of its top.
		err = w.next()
	}
	if err != nil {
		return nil, err
	}
	if err := w.closePart(); err != nil {
		return nil, err
	}
	a := &Archive{Files: w.files}
	for _, t := range w.temps {
		fi, err := os.Stat(t)
		if err != nil {
			return nil, err
		}
		a.Bytes += fi.Size()
	}
	return a, nil
}

// entryName is the archive's name of a folder's entry.
func (w *writer) entryName(name string) string { return path.Join(w.prefix, name) }

// headerSize bounds the tar bytes of an entry's header (with the PAX
// records of a long name).
func headerSize(name string) int64 {
	if len(name) < 100 {
		return 512
	}
	return 3*512 + int64(len(name))
}

// tarSize bounds the tar bytes of a file's entry.
func tarSize(name string, size int64) int64 {
	return headerSize(name) + (size+511)/512*512
}

// worst bounds the gzip bytes of n tar bytes that do not compress at all
// (stored blocks and pgzip's block ends cost a few bytes each).
func worst(n int64) int64 { return n + n/1024 + 1024 }

// fits says whether n more tar bytes fit in the current part whatever
// they compress to.
func (w *writer) fits(n int64) bool {
	p := w.part
	return p.out.n+worst(p.raw+n)+reserve <= w.opts.MaxPartSize
}

// room makes sure the current part can take n tar bytes (the entry of
// name and the directories above it not yet in the part): it flushes the
// compressor to know the part's size when the bound says it may not fit,
// and starts a new part when it does not.
func (w *writer) room(name string, n int64) error {
	if w.part == nil {
		return w.next()
	}
	if w.opts.MaxPartSize <= 0 || w.part.empty {
		return nil
	}
	n += w.parentsSize(name)
	if w.fits(n) {
		return nil
	}
	if err := w.part.gz.Flush(); err != nil {
		return err
	}
	w.part.raw = 0
	if w.fits(n) {
		return nil
	}
	if err := w.closePart(); err != nil {
		return err
	}
	return w.next()
}

// parentsSize bounds the tar bytes of the directories above name that the
// current part does not hold yet.
func (w *writer) parentsSize(name string) int64 {
	var n int64
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if w.part.dirs[d] {
			break
		}
		n += headerSize(w.entryName(d))
	}
	return n
}

// parents writes the directories above name that the part lacks, so that
// every part unpacks on its own with the folders' modes.
func (w *writer) parents(name string) error {
	var missing []string
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if w.part.dirs[d] {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := w.dirEntry(missing[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) dirEntry(name string) error {
	fi, err := w.root.Lstat(name)
	if err != nil {
		return err
	}
	h := &tar.Header{Typeflag: tar.TypeDir, Name: w.entryName(name) + "/", Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime().Truncate(time.Second)}
	if err := w.header(h); err != nil {
		return err
	}
	w.part.dirs[name] = true
	return nil
}

func (w *writer) header(h *tar.Header) error {
	if err := w.part.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("writing the entry of %s: %w", h.Name, err)
	}
	w.part.empty = false
	w.part.raw += headerSize(h.Name)
	return nil
}

func (w *writer) addDir(name string) error {
	if err := w.room(name, headerSize(w.entryName(name))); err != nil {
		return err
	}
	if err := w.parents(name); err != nil {
		return err
	}
	return w.dirEntry(name)
}

func (w *writer) addLink(name string) error {
	target, err := w.root.Readlink(name)
	if err != nil {
		return err
	}
	if err := w.room(name, headerSize(w.entryName(name))+int64(len(target))); err != nil {
		return err
	}
	if err := w.parents(name); err != nil {
		return err
	}
	return w.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: w.entryName(name), Linkname: target, Mode: 0o777})
}

func (w *writer) addFile(name string) error {
	f, err := w.root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	// The size now: a file that grows meanwhile (a log) is taken up to it.
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	entry := w.entryName(name)
	if err := w.room(name, tarSize(entry, size)); err != nil {
		return err
	}
	if w.opts.MaxPartSize > 0 && w.part.empty && !w.fits(tarSize(entry, size)+w.parentsSize(name)) {
		w.part.big = fmt.Sprintf("%s (%d bytes)", name, size)
	}
	if err := w.parents(name); err != nil {
		return err
	}
	h := &tar.Header{Typeflag: tar.TypeReg, Name: entry, Size: size, Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime().Truncate(time.Second)}
	if err := w.header(h); err != nil {
		return err
	}
	if _, err := io.CopyN(w.part.tw, pods.ContextReader(w.ctx, f), size); err != nil {
		return fmt.Errorf("archiving %s: %w", name, err)
	}
	w.part.raw += tarSize(entry, size) - headerSize(entry)
	w.part.files++
	w.files++
	return nil
}

// next starts a new part.
func (w *writer) next() error {
	f, err := os.CreateTemp(w.dest, "."+w.base+".*.tmp")
	if err != nil {
		return err
	}
	w.temps = append(w.temps, f.Name())
	p := &part{f: f, out: countingWriter{w: f}, dirs: map[string]bool{}}
	p.gz, err = pgzip.NewWriterLevel(&p.out, pgzip.DefaultCompression)
	if err != nil {
		return errors.Join(err, f.Close())
	}
	if err := p.gz.SetConcurrency(blockSize, w.opts.Concurrency); err != nil {
		return errors.Join(err, f.Close())
	}
	p.tw = tar.NewWriter(p.gz)
	w.part = p
	// Its top folder first: every part unpacks on its own, as a folder.
	if err := w.dirEntry("."); err != nil {
		return err
	}
	p.empty = true
	return nil
}

// closePart ends the current part's streams and file.
func (w *writer) closePart() error {
	p := w.part
	if p == nil {
		return nil
	}
	w.part = nil
	err := errors.Join(p.tw.Close(), p.gz.Close())
	if err == nil {
		err = p.f.Chmod(0o640)
	}
	if err == nil {
		err = p.f.Sync()
	}
	if err := errors.Join(err, p.f.Close()); err != nil {
		return fmt.Errorf("writing part %d: %w", len(w.temps), err)
	}
	if w.opts.MaxPartSize > 0 && p.out.n > w.opts.MaxPartSize {
		w.opts.Logf("archive: part %d is %d bytes, above the part size %d: it holds %s, larger than a part, alone (a file is never split)",
			len(w.temps), p.out.n, w.opts.MaxPartSize, p.big)
	}
	return nil
}

// publish gives the parts their final names, then removes what an
// earlier Write to the same file left that this one did not replace.
func (w *writer) publish(file string, a *Archive) error {
	names := []string{file}
	if len(w.temps) > 1 {
		names = names[:0]
		for i := range w.temps {
			names = append(names, PartName(file, i+1))
		}
	}
	for i, t := range w.temps {
		if err := os.Rename(t, names[i]); err != nil {
			return err
		}
		w.temps[i] = ""
	}
	a.Paths = names
	// Parts of an earlier Write that this one did not replace, and the
	// single archive when this one is in parts.
	var stale []string
	if len(names) > 1 {
		stale = append(stale, file)
	}
	entries, err := os.ReadDir(w.dest)
	if err != nil {
		return err
	}
	for _, e := range entries {
		archive, n, ok := splitPart(e.Name())
		if ok && archive == w.base && (len(names) == 1 || n > len(names)) {
			stale = append(stale, filepath.Join(w.dest, e.Name()))
		}
	}
	for _, s := range stale {
		if err := os.Remove(s); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s of an earlier archive: %w", s, err)
		}
	}
	return nil
}

// abort removes the parts not published.
func (w *writer) abort() {
	if w.part != nil {
		_ = w.part.f.Close()
	}
	for _, t := range w.temps {
		if t != "" {
			_ = os.Remove(t)
		}
	}
}

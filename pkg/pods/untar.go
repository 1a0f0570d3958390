package pods

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// ErrUnsafe marks an entry Untar refused.
var ErrUnsafe = errors.New("unsafe tar entry")

// Modes of what Untar makes, whatever the stream says.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// Untar unpacks a tar stream into dest (made when missing): directories,
// regular files, hard links and symbolic links, files 0640 and directories
// 0750 whatever the stream says. It refuses, and skips, entries that could
// reach outside dest or make what is there unsafe to read:
//   - a name that is absolute or climbs out of dest with "..";
//   - an entry below a symbolic link (tar of a directory never makes one);
//   - a symbolic link that is absolute, or climbs with ".." anywhere but at
//     its start, or climbs above dest: so every link, however chained,
//     ends inside dest;
//   - a hard link to anything but a regular file inside dest;
//   - device files and FIFOs, and entry types it does not know;
//   - sparse files: a few bytes of stream could declare holes of any size,
//     which unpacked fill the disk (tar of a directory makes none unless
//     asked to);
//   - a non-directory over a directory.
//
// A file, link or hard link of a name that is there already replaces it
// (it is never written through). Each refusal is an error wrapping
// ErrUnsafe; Untar goes on with the next entry and returns them all at the
// end, with the first error reading the stream or writing, which stops it.
// Every write goes through an os.Root of dest as well. An endless stream,
// or an endless entry, is bounded by ctx: every read checks it.
func Untar(ctx context.Context, r io.Reader, dest string) error {
	if err := os.MkdirAll(dest, dirMode); err != nil {
		return err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	return WalkTar(ctx, r, func(e TarEntry) (string, error) { return unpack(root, e) })
}

// TarEntry is an entry of a tar stream that passed the checks of every
// unpacking (see WalkTar).
type TarEntry struct {
	// Name is clean and relative: it never climbs; "." is the destination
	// itself.
	Name   string
	Header *tar.Header
	// Link is the clean target of a hard link (it never climbs either).
	Link string
	// Body reads a regular file's content.
	Body io.Reader
}

// WalkTar reads a tar stream and hands fn each entry that could be
// unpacked safely somewhere: it refuses, and skips, a name that is absolute
// or climbs out with "..", a hard link whose target does, device files,
// FIFOs, entry types it does not know, and sparse files (a few bytes of
// stream could declare holes of any size, which unpacked fill the disk;
// tar of a directory makes none unless asked to). fn checks what depends
// on where the entries go; it returns why it refuses one, or an error that
// stops the walk. Each refusal is an error wrapping ErrUnsafe; WalkTar
// goes on with the next entry and returns them all at the end, with the
// first error reading the stream or from fn, which stops it. An endless
// stream, or an endless entry, is bounded by ctx: every read checks it.
func WalkTar(ctx context.Context, r io.Reader, fn func(TarEntry) (refused string, err error)) error {
	var refused []error
	tr := tar.NewReader(ctxReader{ctx: ctx, r: r})
	for {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(refused, err)...)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return errors.Join(refused...)
		}
		if err != nil {
			return errors.Join(append(refused, fmt.Errorf("reading the tar stream: %w", err))...)
		}
		why, err := check(h)
		if why == "" {
			why, err = fn(TarEntry{Name: path.Clean(h.Name), Header: h, Link: hardLinkTarget(h), Body: tr})
		}
		if err != nil {
			return errors.Join(append(refused, err)...)
		}
		if why != "" {
			refused = append(refused, fmt.Errorf("%w %q: %s", ErrUnsafe, h.Name, why))
		}
	}
}

// check refuses an entry that no destination could take safely.
func check(h *tar.Header) (refused string, err error) {
	if _, why := inside(h.Name); why != "" {
		return why, nil
	}
	if !safeType(h.Typeflag) {
		return unsafeType(h.Typeflag), nil
	}
	if sparse(h) {
		return "a sparse file", nil
	}
	if h.Typeflag == tar.TypeLink {
		if _, why := inside(h.Linkname); why != "" {
			return "hard link: " + why, nil
		}
	}
	return "", nil
}

// hardLinkTarget is the clean target of a hard link (check has refused one that
// climbs), "" for other entries.
func hardLinkTarget(h *tar.Header) string {
	if h.Typeflag != tar.TypeLink {
		return ""
	}
	return path.Clean(h.Linkname)
}

// unpack writes one entry below root. It returns why the entry was
// refused, or an error that stops the unpacking.
func unpack(root *os.Root, e TarEntry) (refused string, err error) {
	name, h := e.Name, e.Header
	if name == "." {
		if h.Typeflag == tar.TypeDir {
			return "", nil // dest itself
		}
		return "over the destination", nil
	}
	if why, err := belowLink(root, name); why != "" || err != nil {
		return why, err
	}
	target := e.Link // of a hard link
	switch h.Typeflag {
	case tar.TypeSymlink:
		if why := linkTarget(name, h.Linkname); why != "" {
			return why, nil
		}
	case tar.TypeLink:
		if why, err := belowLink(root, target); why != "" || err != nil {
			return "hard link " + why, err
		}
		fi, err := root.Lstat(target)
		if err != nil || !fi.Mode().IsRegular() {
			return "hard link to " + target + ": not a regular file unpacked before it", nil
		}
	}
	if err := mkdirs(root, path.Dir(name)); err != nil {
		return "", err
	}
	if h.Typeflag == tar.TypeDir {
		fi, err := root.Lstat(name)
		switch {
		case err == nil && fi.IsDir():
			return "", root.Chmod(name, dirMode)
		case err == nil:
			// A file or link of its name goes.
			if err := root.Remove(name); err != nil {
				return "", err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		return "", mkdirs(root, name)
	}
	if why, err := replace(root, name); why != "" || err != nil {
		return why, err
	}
	switch h.Typeflag {
	case tar.TypeSymlink:
		return "", root.Symlink(h.Linkname, name)
	case tar.TypeLink:
		return "", root.Link(target, name)
	}
	// A regular file.
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, e.Body); err != nil {
		f.Close()
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	// The umask may have taken from the mode.
	return "", root.Chmod(name, fileMode)
}

// safeType says whether Untar unpacks entries of type t.
func safeType(t byte) bool {
	switch t {
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
		return true
	}
	return false
}

// unsafeType says why entries of type t are refused.
func unsafeType(t byte) string {
	switch t {
	case tar.TypeChar, tar.TypeBlock:
		return "a device file"
	case tar.TypeFifo:
		return "a FIFO"
	case tar.TypeGNUSparse:
		return "a sparse file"
	}
	return fmt.Sprintf("entry type %q not unpacked", t)
}

// sparse reports a sparse file of the PAX formats (the old GNU one has its
// own type).
func sparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// inside cleans an entry's name, refusing one that is absolute or climbs
// out of dest.
func inside(name string) (string, string) {
	if name == "" {
		return "", "no name"
	}
	if strings.HasPrefix(name, "/") {
		return "", "an absolute name"
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", "climbs out of the destination"
	}
	return clean, ""
}

// belowLink refuses a name whose parent directories are not all real
// directories (those missing are made as such: see mkdirs).
func belowLink(root *os.Root, name string) (string, error) {
	dir := path.Dir(name)
	if dir == "." {
		return "", nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		fi, err := root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if !fi.IsDir() {
			return "below " + p + ", which is not a directory", nil
		}
	}
	return "", nil
}

// mkdirs makes the directory dir and those above it that are missing,
// each 0750 whatever the umask.
func mkdirs(root *os.Root, dir string) error {
	if dir == "." {
		return nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		err := root.Mkdir(p, dirMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := root.Chmod(p, dirMode); err != nil {
			return err
		}
	}
	return nil
}

// linkTarget refuses a symbolic link target that could end outside dest:
// an absolute one, one that climbs after going down (through a link, "a/.."
// is not where it seems), or one that climbs above dest from the link's
// directory. The climb is then over real directories (see belowLink), and
// the rest only goes down, through links that end inside dest themselves.
func linkTarget(name, target string) string {
	if target == "" {
		return "a link to nothing"
	}
	if strings.HasPrefix(target, "/") {
		return "a link to an absolute path"
	}
	depth := 0
	if d := path.Dir(name); d != "." {
		depth = strings.Count(d, "/") + 1
	}
	down := false
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if down {
				return "a link that climbs after going down"
			}
			depth--
			if depth < 0 {
				return "a link out of the destination"
			}
		default:
			down = true
		}
	}
	return ""
}

// replace clears the way for a non-directory entry: a file or link of its
// name goes; a directory stays and the entry is refused.
func replace(root *os.Root, name string) (string, error) {
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "over a directory", nil
	}
	return "", root.Remove(name)
}

// ContextReader reads r until ctx is done: a copy from an endless stream
// ends with its caller's context.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx: ctx, r: r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/pods"
)

// Bundle is a gathered result opened for reading. Its FS is read-only and
// stays inside the bundle: names that climb, absolute names and symbolic
// links that lead out are refused (it is an os.Root's).
type Bundle struct {
	fs.FS
	// Parts are the archive files read, in order (none for a folder).
	Parts []string
	// Skipped are the entries of the archives that were not unpacked
	// (each wraps pods.ErrUnsafe: a name that climbs, a link out, a
	// device, ...).
	Skipped []error

	root *os.Root
	tmp  string // the unpacked archive, removed by Close
}

// Open opens a bundle: a folder, a .tar.gz archive, or the first part of a
// split archive (<base>.part-001.tar.gz), whose parts are read in order
// until the next number is missing. An archive is unpacked once, with
// the checks of pods.Untar (read with klauspost/compress gzip on one core:
// pgzip v1.2.6's reader panics when read on past a tar's end), into a temporary folder below tmpDir ("": the
// system's, $TMPDIR) that Close removes: reading a bundle needs the room
// of its unpacked files. When the bundle's top holds one folder and
// nothing else (tar -czf x.tar.gz x), the FS is that folder.
func Open(ctx context.Context, path, tmpDir string) (*Bundle, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle %s: %w", path, err)
	}
	if fi.IsDir() {
		root, err := os.OpenRoot(path)
		if err != nil {
			return nil, fmt.Errorf("opening bundle %s: %w", path, err)
		}
		return &Bundle{FS: root.FS(), root: root}, nil
	}
	parts := []string{path}
	switch archive, n, ok := splitPart(path); {
	case ok && n != 1:
		return nil, fmt.Errorf("opening bundle %s: part %d of a split archive: give its first part, %s", path, n, PartName(archive, 1))
	case ok:
		for i := 2; ; i++ {
			next := PartName(archive, i)
			if _, err := os.Stat(next); errors.Is(err, fs.ErrNotExist) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("opening bundle %s: %w", next, err)
			}
			parts = append(parts, next)
		}
	case !strings.HasSuffix(path, Ext) && !strings.HasSuffix(path, ".tgz"):
		return nil, fmt.Errorf("opening bundle %s: neither a folder nor a %s archive", path, Ext)
	}
	tmp, err := os.MkdirTemp(tmpDir, "bundle-")
	if err != nil {
		return nil, fmt.Errorf("opening bundle %s: %w", path, err)
	}
	b := &Bundle{Parts: parts, tmp: tmp}
	if err := b.unpack(ctx); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return b, nil
}

// unpack unpacks every part into b.tmp and opens its top.
func (b *Bundle) unpack(ctx context.Context) error {
	for _, p := range b.Parts {
		if err := unpackPart(ctx, p, b.tmp, &b.Skipped); err != nil {
			return err
		}
	}
	top := b.tmp
	entries, err := os.ReadDir(top)
	if err != nil {
		return fmt.Errorf("reading the unpacked bundle: %w", err)
	}
	if len(entries) == 1 && entries[0].IsDir() {
		top = filepath.Join(top, entries[0].Name())
	}
	if b.root, err = os.OpenRoot(top); err != nil {
		return fmt.Errorf("opening the unpacked bundle: %w", err)
	}
	b.FS = b.root.FS()
	return nil
}

// unpackPart unpacks one archive into dest; refused entries are added to
// skipped, any other error stops it.
func unpackPart(ctx context.Context, path, dest string, skipped *[]error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	uerr := pods.Untar(ctx, zr, dest)
	if uerr == nil || errors.Is(uerr, pods.ErrUnsafe) {
		// Past the tar's end: the gzip trailer's checksum is read too.
		if _, err := io.Copy(io.Discard, zr); err != nil {
			uerr = errors.Join(uerr, err)
		}
	}
	var fatal []error
	for _, e := range flatten(uerr) {
		if errors.Is(e, pods.ErrUnsafe) {
			*skipped = append(*skipped, fmt.Errorf("%s: %w", filepath.Base(path), e))
		} else {
			fatal = append(fatal, e)
		}
	}
	if err := errors.Join(append(fatal, zr.Close())...); err != nil {
		return fmt.Errorf("unpacking %s: %w", path, err)
	}
	return nil
}

// flatten lists the errors an errors.Join holds (or err alone).
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Close releases the bundle and removes what an archive was unpacked to.
func (b *Bundle) Close() error {
	var errs []error
	if b.root != nil {
		errs = append(errs, b.root.Close())
	}
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
	}
	return errors.Join(errs...)
}

package output

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps the files of a Sink: the disk (New), or memory in tests
// (package outputtest). A Sink checks paths, gzips, counts, guards the disk
// and redacts objects before a Store sees a byte, so those rules hold
// whatever the Store: a Store only keeps bytes.
type Store interface {
	// Create starts the file rel (relative, clean, slash-separated, checked
	// by the Sink). Nothing is visible at rel until the file is committed.
	Create(rel string) (StoreFile, error)
	// OpenAppend opens rel for appending; it is visible as it grows.
	OpenAppend(rel string) (io.WriteCloser, error)
	// FS reads back the files committed so far.
	FS() fs.FS
	// Dir is the directory holding the files, for programs that write
	// there themselves; "" when the files are not on disk.
	Dir() string
}

// StoreFile is a file of a Store being written.
type StoreFile interface {
	io.Writer
	// Reader reads what was written so far, from its start; the file is
	// not written to after that.
	Reader() (io.Reader, error)
	// Commit makes the file visible at its path, replacing any file there,
	// and returns its size as stored.
	Commit() (int64, error)
	// Discard drops the file; a second call does nothing.
	Discard()
}

// diskStore keeps files below root: each is written to a temporary file
// next to its final path and renamed into place.
type diskStore struct{ root string }

func (d diskStore) Dir() string { return d.root }

func (d diskStore) FS() fs.FS { return os.DirFS(d.root) }

func (d diskStore) Create(rel string) (StoreFile, error) {
	final := filepath.Join(d.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(final), dirMode); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &diskFile{tmp: tmp, final: final}, nil
}

func (d diskStore) OpenAppend(rel string) (io.WriteCloser, error) {
	p := filepath.Join(d.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), dirMode); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, fileMode)
}

type diskFile struct {
	tmp   *os.File
	final string
}

func (f *diskFile) Write(p []byte) (int, error) { return f.tmp.Write(p) }

func (f *diskFile) Reader() (io.Reader, error) {
	if _, err := f.tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return f.tmp, nil
}

func (f *diskFile) Commit() (int64, error) {
	errs := []error{f.tmp.Chmod(fileMode)}
	info, statErr := f.tmp.Stat()
	errs = append(errs, statErr, f.tmp.Close())
	if err := errors.Join(errs...); err != nil {
		_ = os.Remove(f.tmp.Name())
		return 0, err
	}
	if err := os.Rename(f.tmp.Name(), f.final); err != nil {
		_ = os.Remove(f.tmp.Name())
		return 0, err
	}
	return info.Size(), nil
}

func (f *diskFile) Discard() {
	_ = f.tmp.Close()
	_ = os.Remove(f.tmp.Name())
}

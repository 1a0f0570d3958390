package analyze

import (
	"context"
	"io/fs"

	"github.com/must-gather/toolkit/pkg/output"
)

// Write analyses the bundle(s) under fsys and writes analysis.json and
// index.html at its root through write (the sink's WriteMeta in a gather
// run, a file writer for `gather analyze`). It returns the report even
// when a write failed.
func Write(ctx context.Context, fsys fs.FS, write func(name string, data []byte) error, o Options) (*Report, error) {
	r, err := Analyze(ctx, fsys, o)
	if err != nil {
		return nil, err
	}
	j, err := r.JSON()
	if err != nil {
		return r, err
	}
	if err := write(JSONFile, j); err != nil {
		return r, err
	}
	page, err := r.Page(func(name string) bool {
		_, err := fs.Stat(fsys, name)
		return err == nil
	})
	if err != nil {
		return r, err
	}
	return r, write(PageFile, page)
}

// WriteDir analyses the folder dir (a client's destination with one folder
// per image, or one bundle) and writes analysis.json and index.html at its
// root through the sink, which owns atomic writes and redaction.
func WriteDir(ctx context.Context, dir string) (*Report, error) {
	sink, err := output.New(dir, output.Options{})
	if err != nil {
		return nil, err
	}
	return Write(ctx, sink.FS(), sink.WriteMeta, Options{})
}

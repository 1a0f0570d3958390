package analyze

import (
	"context"
	"encoding/json"
	"io/fs"
	"path"
	"strings"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/pkg/version"
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
	return r, writeReport(fsys, write, r)
}

// writeReport writes analysis.json and index.html of r at the root of fsys.
func writeReport(fsys fs.FS, write func(name string, data []byte) error, r *Report) error {
	j, err := r.JSON()
	if err != nil {
		return err
	}
	if err := write(JSONFile, j); err != nil {
		return err
	}
	page, err := r.Page(func(name string) bool {
		_, err := fs.Stat(fsys, name)
		return err == nil
	})
	if err != nil {
		return err
	}
	return write(PageFile, page)
}

// WriteDir analyses the folder dir (a client's destination with one folder
// per image, or one bundle) and writes analysis.json and index.html at its
// root through the sink, which owns atomic writes and redaction. When dir
// holds one bundle, in a folder, that this very build's gather analysed
// already (its analysis.json), that report is taken, its paths moved under
// the folder, rather than every object read again: the same report, and
// the client's run seconds shorter on a large cluster (BENCHMARKS.md).
func WriteDir(ctx context.Context, dir string) (*Report, error) {
	sink, err := output.New(dir, output.Options{})
	if err != nil {
		return nil, err
	}
	fsys := sink.FS()
	if r := analysed(fsys); r != nil {
		return r, writeReport(fsys, sink.WriteMeta, r)
	}
	return Write(ctx, fsys, sink.WriteMeta, Options{})
}

// analysed returns the analysis of the one bundle below the root of fsys as
// the root's, or nil when there is none to take: not one bundle, at the
// root, no analysis.json beside its manifest, or a manifest or analysis of
// another build (whose checks may differ).
func analysed(fsys fs.FS) *Report {
	var (
		manifests []string
		paths     []string
		files     int
		bytes     int64
	)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if info, err := d.Info(); err == nil {
			bytes += info.Size()
		}
		if isManifest(p) {
			manifests = append(manifests, p)
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil || len(manifests) != 1 || path.Dir(manifests[0]) == "." {
		return nil
	}
	root := path.Dir(manifests[0])
	for _, p := range paths {
		// Beside the bundle only the client's own files (its log,
		// timestamp, event page): a folder of another layout would be a
		// bundle of its own.
		if !strings.HasPrefix(p, root+"/") && (strings.Contains(p, "/") || strings.HasSuffix(p, ".yaml")) {
			return nil
		}
	}
	var m steps.Manifest
	if b, err := fs.ReadFile(fsys, manifests[0]); err != nil || json.Unmarshal(b, &m) != nil {
		return nil
	}
	if v := version.Get(); m.Tool.Version != v.Version || m.Tool.GitCommit != v.GitCommit {
		return nil
	}
	var r Report
	if b, err := fs.ReadFile(fsys, path.Join(root, JSONFile)); err != nil || json.Unmarshal(b, &r) != nil {
		return nil
	}
	if len(r.Bundles) != 1 || r.Bundles[0].Path != "." || r.Bundles[0].End == nil || m.End == nil || !r.Bundles[0].End.Equal(*m.End) {
		return nil // not the analysis of this manifest's final state
	}
	r.rebase(root)
	r.Files, r.Bytes = files, bytes
	return &r
}

// rebase moves the paths of r, a report of the bundle at root, under root.
func (r *Report) rebase(root string) {
	for i := range r.Bundles {
		r.Bundles[i].Path = path.Join(root, r.Bundles[i].Path)
	}
	for i := range r.Findings {
		for j, f := range r.Findings[i].Files {
			r.Findings[i].Files[j] = path.Join(root, f)
		}
	}
	for i, e := range r.Errors {
		r.Errors[i] = root + "/" + e // "FILE: what went wrong"
	}
}

package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/version"
)

// ownManifest is the test manifest as this build's gather writes it.
func ownManifest(t *testing.T) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatal(err)
	}
	v := version.Get()
	m["tool"] = map[string]any{"product": v.Product, "version": v.Version, "gitCommit": v.GitCommit}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A client's destination with one image folder that its gather analysed:
// WriteDir takes that analysis, and writes what reading every object again
// would have (the same analysis.json and index.html).
func TestWriteDirTakesTheBundlesAnalysis(t *testing.T) {
	t.Parallel()
	img := fstest.MapFS{}
	for name, f := range bundle(t) {
		if rest, ok := strings.CutPrefix(name, "img/"); ok {
			img[rest] = f
		}
	}
	img["gather-manifest.json"] = &fstest.MapFile{Data: ownManifest(t)}
	client := fstest.MapFS{"must-gather.logs": {Data: []byte("[must-gather] copying\n")}, "timestamp": {Data: []byte("now\n")}}

	// The gather analyses its bundle in the pod.
	dest := t.TempDir()
	if err := os.CopyFS(filepath.Join(dest, "img"), img); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(t.Context(), os.DirFS(filepath.Join(dest, "img")), func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(dest, "img", name), data, 0o640)
	}, Options{}); err != nil {
		t.Fatal(err)
	}
	// The same tree analysed whole, for comparison.
	whole := t.TempDir()
	for _, dir := range []string{dest, whole} {
		if err := os.CopyFS(dir, client); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(whole, "img"), os.DirFS(filepath.Join(dest, "img"))); err != nil {
		t.Fatal(err)
	}

	if analysed(os.DirFS(dest)) == nil {
		t.Fatal("the bundle's analysis was not taken")
	}
	if _, err := WriteDir(t.Context(), dest); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(t.Context(), os.DirFS(whole), func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(whole, name), data, 0o640)
	}, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{JSONFile, PageFile} {
		got, err := os.ReadFile(filepath.Join(dest, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s taken from the bundle's analysis (-read whole +taken):\n%s", f, diff)
		}
	}
}

// What WriteDir must not take: an analysis of another build, a second
// bundle beside the one analysed, an analysis made before the gather's end.
func TestWriteDirAnalysesAgain(t *testing.T) {
	t.Parallel()
	own := ownManifest(t)
	analysis := func(end string) []byte {
		return []byte(`{"asOf":"` + end + `","bundles":[{"path":".","end":"` + end + `"}],"counts":{},"findings":[]}`)
	}
	tests := map[string]fstest.MapFS{
		"another build": {
			"img/gather-manifest.json": {Data: []byte(manifest)},
			"img/analysis.json":        {Data: analysis("2026-11-26T10:00:00Z")},
		},
		"a second bundle": {
			"img/gather-manifest.json":                          {Data: own},
			"img/analysis.json":                                 {Data: analysis("2026-11-26T10:00:00Z")},
			"other/cluster-scoped-resources/core/nodes/n1.yaml": {Data: []byte("kind: Node\n")},
		},
		"an analysis of an earlier state": {
			"img/gather-manifest.json": {Data: own},
			"img/analysis.json":        {Data: analysis("2026-11-26T09:59:00Z")},
		},
		"no analysis": {
			"img/gather-manifest.json": {Data: own},
		},
		"the bundle at the root": {
			"gather-manifest.json": {Data: own},
			"analysis.json":        {Data: analysis("2026-11-26T10:00:00Z")},
		},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if r := analysed(fsys); r != nil {
				t.Errorf("took %+v", r)
			}
		})
	}
	// The same with the analysis that matches is taken (the cases above
	// fail for their own reason).
	ok := fstest.MapFS{"img/gather-manifest.json": {Data: own}, "img/analysis.json": {Data: analysis("2026-11-26T10:00:00Z")}}
	if r := analysed(ok); r == nil || r.Bundles[0].Path != "img" {
		t.Errorf("the matching analysis: %+v, want it taken under img", r)
	}
}

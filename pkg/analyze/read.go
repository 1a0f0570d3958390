package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	layout "github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/steps"
)

// maxObjectFile bounds the size of one YAML file the analysis decodes; a
// larger one is reported as not read rather than filling the memory.
const maxObjectFile = 256 << 20

// maxDepth is how deep a bundle may sit under the root: the client writes
// <dest>/<image>/ and, per node, <dest>/<node>/<image>/.
const maxManifestDepth = 3

// Options tune an analysis.
type Options struct {
	// Now is the time of the analysis (certificates are judged at the end
	// of the gather when a manifest records it, else at Now).
	Now time.Time
	// Manifests holds manifests already in memory, by bundle path ("."
	// for the root): the gather's own run passes its final one.
	Manifests map[string]*steps.Manifest
	// CertWindow is how soon a certificate's expiry is a finding (30 days
	// when zero).
	CertWindow time.Duration
	// TopEvents is how many groups of Warning events become findings (20
	// when zero).
	TopEvents int
}

// resource is where a file sits in the layout of oc adm inspect.
type resource = layout.Place

// watched are the group/resources the checks read; other files are not
// opened.
var watched = map[string]bool{
	"core/pods": true, "core/nodes": true, "core/namespaces": true, "core/persistentvolumeclaims": true,
	"core/services": true, "core/endpoints": true, "core/secrets": true, "core/configmaps": true, "core/events": true,
	"apps/deployments": true, "apps/daemonsets": true,
	"discovery.k8s.io/endpointslices":                              true,
	"config.openshift.io/clusteroperators":                         true,
	"admissionregistration.k8s.io/validatingwebhookconfigurations": true,
	"admissionregistration.k8s.io/mutatingwebhookconfigurations":   true,
}

// isManifest says whether the file p is the manifest of a bundle (one at
// most maxManifestDepth folders down).
func isManifest(p string) bool {
	return path.Base(p) == steps.ManifestFile && strings.Count(p, "/") < maxManifestDepth
}

// classify says which resource a YAML file of the layout holds.
func classify(p string) (resource, bool) { return layout.Locate(p) }

// Analyze reads the bundle(s) under fsys and returns the report. It reads
// on past files it cannot decode (they are the report's Errors); the error
// is for a root that cannot be walked or a cancelled context.
func Analyze(ctx context.Context, fsys fs.FS, o Options) (*Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.CertWindow == 0 {
		o.CertWindow = 30 * 24 * time.Hour
	}
	if o.TopEvents == 0 {
		o.TopEvents = 20
	}
	a := newAnalysis(o)
	var objectFiles []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			a.errorf("%s: %v", p, err)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			return nil
		}
		a.report.Files++
		if info, err := d.Info(); err == nil {
			a.report.Bytes += info.Size()
		}
		switch {
		case isManifest(p):
			a.bundle(path.Dir(p))
			if o.Manifests[path.Dir(p)] == nil {
				a.readManifest(fsys, p)
			}
		case strings.HasSuffix(p, ".yaml"):
			if r, ok := classify(p); ok && watched[r.Group+"/"+r.Resource] {
				objectFiles = append(objectFiles, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	for root, m := range o.Manifests {
		a.bundle(root).setManifest(m)
	}
	// Lists come before objects of the same resource in lexical order
	// (core/pods.yaml < pods/...), so an object in both is taken from its list.
	for _, p := range objectFiles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, _ := classify(p)
		a.bundle(r.Root)
		if err := a.readFile(fsys, p, r); err != nil {
			a.errorf("%s: %v", p, err)
		}
	}
	return a.finish(), nil
}

// readManifest reads a gather-manifest.json into its bundle.
func (a *analysis) readManifest(fsys fs.FS, p string) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		a.errorf("%s: %v", p, err)
		return
	}
	var m steps.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		a.errorf("%s: %v", p, err)
		return
	}
	a.bundle(path.Dir(p)).setManifest(&m)
}

// readFile decodes a list or an object file and hands every object to the
// checks.
func (a *analysis) readFile(fsys fs.FS, p string, r resource) error {
	f, err := fsys.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxObjectFile+1))
	if err != nil {
		return err
	}
	if len(b) > maxObjectFile {
		return fmt.Errorf("larger than %d MiB", maxObjectFile>>20)
	}
	items, err := decodeObjects(b)
	if err != nil {
		return err
	}
	for _, item := range items {
		if err := a.object(p, r, item); err != nil {
			return err
		}
	}
	return nil
}

// decodeObjects returns the objects of a YAML file: a list's items, or
// the object itself. A file may hold several documents.
func decodeObjects(b []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, doc := range splitDocuments(b) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if len(j) == 0 || string(j) == "null" {
			continue
		}
		var head struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(j, &head); err != nil {
			return nil, err
		}
		if strings.HasSuffix(head.Kind, "List") || head.Items != nil {
			out = append(out, head.Items...)
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// splitDocuments splits YAML at its "---" lines.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i <= len(b); {
		end := slices.Index(b[i:], '\n')
		lineEnd := len(b)
		if end >= 0 {
			lineEnd = i + end
		}
		if string(bytes.TrimRight(b[i:lineEnd], " \r")) == "---" {
			docs = append(docs, b[start:i])
			start = lineEnd + 1
		}
		if end < 0 {
			break
		}
		i = lineEnd + 1
	}
	if start < len(b) {
		docs = append(docs, b[start:])
	}
	return slices.DeleteFunc(docs, func(d []byte) bool { return len(bytes.TrimSpace(d)) == 0 })
}

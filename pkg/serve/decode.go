package serve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/klauspost/compress/gzip"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// maxDocument bounds one YAML document of a bundle file.
const maxDocument = 256 << 20

// open opens a bundle file, decompressed when its name ends in .gz.
func open(fsys fs.FS, name string) (io.ReadCloser, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("reading %s: %w", name, err), f.Close())
	}
	return gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f fs.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// readObjects returns the objects of a YAML (or JSON) file: the
// items of a list, or the object itself; a file may hold several
// documents. An item without a kind gets the one its list names.
func readObjects(fsys fs.FS, name string) ([]map[string]any, error) {
	f, err := open(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReaderSize(f, 64<<10))
	var out []map[string]any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading %s: %w", name, err)
		}
		if len(doc) > maxDocument {
			return out, fmt.Errorf("reading %s: a document larger than %d MiB", name, maxDocument>>20)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return out, fmt.Errorf("decoding %s: %w", name, err)
		}
		if len(j) == 0 || string(j) == "null" {
			continue
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(j, &obj); err != nil {
			return out, fmt.Errorf("decoding %s: %w", name, err)
		}
		out = append(out, listItems(obj)...)
	}
}

// listItems returns the items of a list (kind ...List, or items), each
// with the kind and apiVersion its list implies when it has none, or the
// object alone.
func listItems(obj map[string]any) []map[string]any {
	kind, _ := obj["kind"].(string)
	items, isList := obj["items"].([]any)
	if !isList && !strings.HasSuffix(kind, "List") {
		return []map[string]any{obj}
	}
	apiVersion, _ := obj["apiVersion"].(string)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := m["kind"]; !ok && kind != "List" {
			m["kind"] = strings.TrimSuffix(kind, "List")
		}
		if _, ok := m["apiVersion"]; !ok && apiVersion != "" {
			m["apiVersion"] = apiVersion
		}
		out = append(out, m)
	}
	return out
}

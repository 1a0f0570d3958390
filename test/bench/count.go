package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Gathered is what a tool wrote: files and bytes on disk, the objects in
// its list files and the container logs.
type Gathered struct {
	Files   int64 `json:"files"`
	Bytes   int64 `json:"bytes"`
	Objects int64 `json:"objects"`
	Logs    int64 `json:"logs"`
}

// CountDir counts what a tool wrote below dir. Objects are the items of
// list files: YAML lists in the layout of oc adm inspect (ours, but for the
// discovery documents), JSON lists (kubectl cluster-info dump). Logs are container logs: .../logs/current.log
// and previous.log (ours), logs.txt (kubectl's).
func CountDir(dir string) (Gathered, error) {
	var g Gathered
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		g.Files++
		g.Bytes += info.Size()
		slash := filepath.ToSlash(p)
		switch {
		case strings.HasPrefix(path.Base(slash), "aggregated-discovery-"):
			// the server's discovery documents: lists of API groups, not objects
		case isContainerLog(slash):
			g.Logs++
		case strings.HasSuffix(slash, ".yaml"):
			n, err := countFile(p, yamlListItems)
			if err != nil {
				return err
			}
			g.Objects += n
		case strings.HasSuffix(slash, ".json"):
			n, err := countFile(p, jsonListItems)
			if err != nil {
				return err
			}
			g.Objects += n
		}
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("counting %s: %w", dir, err)
	}
	return g, nil
}

func isContainerLog(p string) bool {
	return strings.HasSuffix(p, "/logs/current.log") || strings.HasSuffix(p, "/logs/previous.log") ||
		strings.HasSuffix(p, "/logs.txt")
}

func countFile(p string, count func(io.Reader) (int64, error)) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := count(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	return n, nil
}

// yamlListItems counts the items of a list document as the sink writes it
// (output.ListWriter): a top-level "items:" key, each item a "- " line at
// the first column. A file without top-level items (one object) counts 0.
func yamlListItems(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var n int64
	inItems := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.Equal(line, []byte("items:")):
			inItems = true
		case len(line) > 0 && line[0] != ' ' && line[0] != '-':
			inItems = false // the next top-level key
		case inItems && bytes.HasPrefix(line, []byte("- ")):
			n++
		}
	}
	return n, sc.Err()
}

// jsonListItems counts the items of a JSON list (kubectl's files); a JSON
// document that is not a list counts 0.
func jsonListItems(r io.Reader) (int64, error) {
	dec := json.NewDecoder(r)
	var n int64
	for {
		var doc struct {
			Items []json.RawMessage `json:"items"`
		}
		err := dec.Decode(&doc)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += int64(len(doc.Items))
	}
}

package output

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"

	"github.com/must-gather/toolkit/pkg/redact"
)

// WriteObject writes one object as a YAML document, redacted by the
// object rules. The line rules do not apply: the object rules know the
// structure (a Secret's keys, a Route's key), and the line rules, made for
// logs, would mistake YAML for a log (a PEM key in a block scalar would
// lose its indentation, and the document its validity).
func (s *Sink) WriteObject(rel string, obj map[string]any) error {
	b, err := marshalYAML(redact.ObjectRecorded(obj, s.opts.Recorder))
	if err != nil {
		return fmt.Errorf("encoding %s: %w", rel, err)
	}
	return s.write(rel, append([]byte("---\n"), b...), false, noRules)
}

// marshalYAML writes an object as sigs.k8s.io/yaml.Marshal does, byte for
// byte, in about half the time: that writes JSON and parses it back before
// go-yaml writes it; an object as the API server sends it (maps, slices,
// strings, bools, int64, float64 and nil: JSON's types) goes to go-yaml
// directly. It was the largest cost of inspect per object (BENCHMARKS.md).
// The one difference, a float64 with an integral value (JSON writes
// 1000000.0 as 1000000, which reads back as an integer), is made good in
// place: obj must be the caller's own copy (the redacted one).
// TestMarshalYAMLAsSigsYAML and its fuzzer hold the two equal.
func marshalYAML(obj map[string]any) ([]byte, error) {
	integralFloats(obj)
	return yaml.Marshal(obj)
}

// integralFloats turns the float64 values of v that JSON would write as
// integers into int64, in place.
func integralFloats(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if n := integralFloats(e); n != nil {
				v[k] = n
			}
		}
	case []any:
		for i, e := range v {
			if n := integralFloats(e); n != nil {
				v[i] = n
			}
		}
	case float64:
		// encoding/json writes an integral |f| < 1e21 as its shortest
		// digits, without an exponent; go-yaml reads those back as an int
		// (or a uint) when they fit.
		if v != math.Trunc(v) || math.Abs(v) >= 1e21 {
			return nil
		}
		digits := strconv.FormatFloat(v, 'f', -1, 64)
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(digits, 10, 64); err == nil {
			return n
		}
	}
	return nil
}

// ListWriter streams a list file item by item, so a big list is never held
// in memory. The document is the usual List object with sorted keys
// (apiVersion, items, kind, metadata), which lets the items come in the
// middle as they arrive.
type ListWriter struct {
	f     *File
	rec   redact.Recorder
	kind  string
	items int
	err   error
}

// CreateList starts a list file of the given list kind (e.g. "PodList").
func (s *Sink) CreateList(rel, kind string) (*ListWriter, error) {
	f, err := s.create(rel, false, false, noRules) // object rules, as WriteObject
	if err != nil {
		return nil, err
	}
	if _, err := f.Write([]byte("---\napiVersion: v1\nitems:\n")); err != nil {
		f.Abort()
		return nil, err
	}
	return &ListWriter{f: f, kind: kind, rec: s.opts.Recorder}, nil
}

// Add appends an item, redacted.
func (l *ListWriter) Add(obj map[string]any) error {
	if l.err != nil {
		return l.err
	}
	b, err := marshalYAML(redact.ObjectRecorded(obj, l.rec))
	if err != nil {
		l.err = fmt.Errorf("encoding an item of %s: %w", l.kind, err)
		return l.err
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + len(b)/8)
	for i, line := range strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n") {
		if i == 0 {
			buf.WriteString("- ")
		} else {
			buf.WriteString("  ")
		}
		buf.WriteString(line)
	}
	buf.WriteByte('\n')
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		l.err = err
		return err
	}
	l.items++
	return nil
}

// Close ends the list and moves the file into place.
func (l *ListWriter) Close() error {
	if l.err != nil {
		l.f.Abort()
		return l.err
	}
	tail := "kind: " + l.kind + "\nmetadata: {}\n"
	if l.items == 0 {
		// "items:" with nothing under it would read as null, not [].
		tail = "  []\n" + tail
	}
	if _, err := l.f.Write([]byte(tail)); err != nil {
		l.f.Abort()
		return err
	}
	return l.f.Close()
}

// Abort drops the list file.
func (l *ListWriter) Abort() { l.f.Abort() }

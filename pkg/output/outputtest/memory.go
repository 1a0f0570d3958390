// Package outputtest is the in-memory output.Store for tests: a collector
// writes through a real output.Sink (paths, gzip, counts, redaction), and
// the test reads back what it wrote without a disk; and Log, the log it
// reads back.
package outputtest

import (
	"bytes"
	"io"
	"io/fs"
	"maps"
	"slices"
	"sync"
	"testing/fstest"

	"github.com/must-gather/toolkit/pkg/output"
)

// Memory keeps committed files in memory. It is safe for concurrent use.
type Memory struct {
	mu    sync.Mutex
	files map[string][]byte
}

// New returns a sink whose files are kept in memory, and that memory.
func New(opts output.Options) (*output.Sink, *Memory) {
	m := NewMemory()
	return output.NewSink(m, opts), m
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{files: map[string][]byte{}} }

// Paths lists the committed files, sorted.
func (m *Memory) Paths() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.AppendSeq(make([]string, 0, len(m.files)), maps.Keys(m.files))
	slices.Sort(out)
	return out
}

// Files returns every committed file and its content (as stored: a gzip
// file's compressed bytes).
func (m *Memory) Files() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.files))
	for p, b := range m.files {
		out[p] = string(b)
	}
	return out
}

// Read returns the content of a committed file.
func (m *Memory) Read(rel string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[rel]
	return bytes.Clone(b), ok
}

// Dir is "": the files are not on disk.
func (m *Memory) Dir() string { return "" }

// FS is a snapshot of the committed files.
func (m *Memory) FS() fs.FS {
	m.mu.Lock()
	defer m.mu.Unlock()
	fsys := fstest.MapFS{}
	for p, b := range m.files {
		fsys[p] = &fstest.MapFile{Data: bytes.Clone(b), Mode: 0o640}
	}
	return fsys
}

// Create starts a file that shows in Paths once committed.
func (m *Memory) Create(rel string) (output.StoreFile, error) {
	return &memFile{m: m, rel: rel}, nil
}

// OpenAppend opens rel for appending; what is written shows at once.
func (m *Memory) OpenAppend(rel string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[rel]; !ok {
		m.files[rel] = nil
	}
	return appender{m: m, rel: rel}, nil
}

type appender struct {
	m   *Memory
	rel string
}

func (a appender) Write(p []byte) (int, error) {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.m.files[a.rel] = append(a.m.files[a.rel], p...)
	return len(p), nil
}

func (a appender) Close() error { return nil }

// memFile is a file being written: invisible until Commit.
type memFile struct {
	m   *Memory
	rel string
	buf bytes.Buffer
}

func (f *memFile) Write(p []byte) (int, error) { return f.buf.Write(p) }

func (f *memFile) Reader() (io.Reader, error) { return bytes.NewReader(f.buf.Bytes()), nil }

func (f *memFile) Commit() (int64, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	f.m.files[f.rel] = bytes.Clone(f.buf.Bytes())
	return int64(f.buf.Len()), nil
}

func (f *memFile) Discard() { f.buf.Reset() }

package output

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/must-gather/toolkit/pkg/redact"
)

const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640
)

// Options configure a Sink.
type Options struct {
	// VolumePercentage stops new writes once the destination's filesystem
	// is used above this percentage (like `oc adm must-gather
	// --volume-percentage`). 0 or 100 and above disable the guard.
	VolumePercentage int
	// Usage reports the used percentage of the filesystem holding dir;
	// nil means statfs for New, and no guard for NewSink. Tests inject
	// their own.
	Usage func(dir string) (float64, error)
	// Recorder, when set, is told every value the redaction rules elide
	// from an object (for the run's final leak scan).
	Recorder redact.Recorder
}

// Sink is what collectors write through. It owns the rules every file
// follows, whatever its Store: paths, gzip, counts, the disk guard, and
// the redaction of objects (WriteObject, CreateList).
type Sink struct {
	*shared
	counter *Counter
}

// shared is the state every view of one destination shares.
type shared struct {
	store Store
	opts  Options
	mu    sync.Mutex
	full  error // set once the disk guard tripped; sticky
	total Counter
}

// Counter counts the files and bytes written through a view of the sink.
type Counter struct {
	files atomic.Int64
	bytes atomic.Int64
}

// Files and Bytes report what was written (bytes as stored on disk).
func (c *Counter) Files() int64 { return c.files.Load() }
func (c *Counter) Bytes() int64 { return c.bytes.Load() }

// ErrVolumeFull is returned (wrapped, with the numbers) once the disk guard
// has tripped: nothing new is written after that.
var ErrVolumeFull = errors.New("destination volume above --volume-percentage")

// New creates the root directory when needed and returns a sink that
// writes files below it.
func New(root string, opts Options) (*Sink, error) {
	if err := os.MkdirAll(root, dirMode); err != nil {
		return nil, fmt.Errorf("creating destination %s: %w", root, err)
	}
	if opts.Usage == nil {
		opts.Usage = statfsUsage
	}
	return NewSink(diskStore{root: root}, opts), nil
}

// NewSink returns a sink that keeps its files in store.
func NewSink(store Store, opts Options) *Sink {
	return &Sink{shared: &shared{store: store, opts: opts}, counter: new(Counter)}
}

// Root is the destination directory ("" when the files are not on disk).
func (s *Sink) Root() string { return s.store.Dir() }

// FS reads back the files written so far.
func (s *Sink) FS() fs.FS { return s.store.FS() }

// WithCounter returns a view of the sink that also counts into c: the
// runner gives each step its own.
func (s *Sink) WithCounter(c *Counter) *Sink { return &Sink{shared: s.shared, counter: c} }

// Total counts everything written through any view.
func (s *Sink) Total() *Counter { return &s.total }

// Full reports why the disk guard stopped writes, or nil.
func (s *Sink) Full() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.full
}

// checkPath validates a collector's relative path: it must stay inside
// the destination.
func checkPath(rel string) error {
	if rel == "" || path.IsAbs(rel) || filepath.IsAbs(rel) || strings.Contains(rel, "\\") {
		return fmt.Errorf("invalid output path %q: must be relative", rel)
	}
	clean := path.Clean(rel)
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || clean != rel {
		return fmt.Errorf("invalid output path %q: must be clean and stay inside the destination", rel)
	}
	return nil
}

// checkGuard trips the disk guard when the filesystem is too full.
func (s *Sink) checkGuard() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full != nil {
		return s.full
	}
	p := s.opts.VolumePercentage
	if p <= 0 || p >= 100 || s.opts.Usage == nil {
		return nil
	}
	root := s.store.Dir()
	used, err := s.opts.Usage(root)
	if err != nil {
		return nil // cannot tell: keep going rather than lose data
	}
	if used >= float64(p) {
		s.full = fmt.Errorf("%w: %s is %.0f%% used, limit %d%%", ErrVolumeFull, root, used, p)
		return s.full
	}
	return nil
}

// File is a file being written. Nothing is visible at its path until Close
// succeeds; Abort (or a failed Close) leaves nothing behind.
type File struct {
	sink    *Sink
	rel     string
	sf      StoreFile
	w       io.Writer // what callers write to: sf, or a gzip writer over it
	gz      *gzip.Writer
	meta    bool
	written int64 // uncompressed bytes since the last guard check
	done    bool
}

// Create starts writing the file rel (slash-separated, relative to root).
func (s *Sink) Create(rel string) (*File, error) { return s.create(rel, false, false) }

// CreateGzip starts writing rel, which must end in ".gz", compressed.
func (s *Sink) CreateGzip(rel string) (*File, error) {
	if !strings.HasSuffix(rel, ".gz") {
		return nil, fmt.Errorf("invalid output path %q: a gzip file must end in .gz", rel)
	}
	return s.create(rel, true, false)
}

// WriteFile writes a whole file at once.
func (s *Sink) WriteFile(rel string, data []byte) error {
	return s.write(rel, data, false)
}

// WriteMeta writes a small file that describes the run (version,
// manifest, timestamp, run log). It bypasses the disk guard, so a run that
// stopped for a full disk still finishes its record.
func (s *Sink) WriteMeta(rel string, data []byte) error {
	return s.write(rel, data, true)
}

func (s *Sink) write(rel string, data []byte, meta bool) error {
	f, err := s.create(rel, false, meta)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}

// guardEvery is how many bytes a file may grow between disk guard checks.
const guardEvery = 4 << 20

func (s *Sink) create(rel string, gz, meta bool) (*File, error) {
	if err := checkPath(rel); err != nil {
		return nil, err
	}
	if !meta {
		if err := s.checkGuard(); err != nil {
			return nil, fmt.Errorf("not writing %s: %w", rel, err)
		}
	}
	sf, err := s.store.Create(rel)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	f := &File{sink: s, rel: rel, sf: sf, w: sf, meta: meta}
	if gz {
		f.gz = gzip.NewWriter(sf)
		f.w = f.gz
	}
	return f, nil
}

// Write writes to the file, checking the disk guard as it grows.
func (f *File) Write(p []byte) (int, error) {
	if !f.meta {
		f.written += int64(len(p))
		if f.written >= guardEvery {
			f.written = 0
			if err := f.sink.checkGuard(); err != nil {
				return 0, fmt.Errorf("writing %s: %w", f.rel, err)
			}
		}
	}
	n, err := f.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", f.rel, err)
	}
	return n, nil
}

// Close finishes the file and moves it into place.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.gz != nil {
		if err := f.gz.Close(); err != nil {
			f.sf.Discard()
			return fmt.Errorf("writing %s: %w", f.rel, err)
		}
	}
	size, err := f.sf.Commit()
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.rel, err)
	}
	for _, c := range []*Counter{f.sink.counter, &f.sink.total} {
		c.files.Add(1)
		c.bytes.Add(size)
	}
	return nil
}

// Append moves what others hold (plain files of the same sink, still
// open) to the end of f and drops them: pieces written side by side become
// one file, in order, without holding any of them in memory. On error the
// pieces not yet moved are dropped too; f keeps what it has.
func (f *File) Append(others ...*File) error {
	var errs []error
	for _, o := range others {
		if len(errs) > 0 {
			o.Abort()
			continue
		}
		if f.gz != nil || o.gz != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: not for gzip files", o.rel, f.rel))
		} else if r, err := o.sf.Reader(); err != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: %w", o.rel, f.rel, err))
		} else if _, err := io.Copy(f, r); err != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: %w", o.rel, f.rel, err))
		}
		o.Abort()
	}
	return errors.Join(errs...)
}

// Abort drops the file.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.gz != nil {
		_ = f.gz.Close()
	}
	f.sf.Discard()
}

// AppendMeta opens a file of the run's record (the run log) for appending.
// Unlike other files it is visible while it grows, so a run killed midway
// still leaves it; it bypasses the disk guard and is not counted.
func (s *Sink) AppendMeta(rel string) (io.WriteCloser, error) {
	if err := checkPath(rel); err != nil {
		return nil, err
	}
	return s.store.OpenAppend(rel)
}

// Add counts files and bytes written outside the sink (by an external
// program).
func (c *Counter) Add(files, bytes int64) {
	c.files.Add(files)
	c.bytes.Add(bytes)
}

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
	// MaxSize is the run's byte budget (--max-size; 0: none). Every file is
	// charged; object YAML and the run's record are never refused, container
	// logs (CreateLog) are cut to what is left, then refused.
	MaxSize int64
	// MaxLogSize keeps only the last this many bytes of each container log
	// (--max-log-size; 0: no limit).
	MaxLogSize int64
}

// Sink is what collectors write through. It owns the rules every file
// follows, whatever its Store: paths, gzip, counts, the disk guard, and
// redaction: the object rules for objects (WriteObject, CreateList), the
// line rules for every other file (Create, CreateGzip, WriteFile,
// WriteMeta, AppendMeta), the audit rules for audit logs (CreateAuditLog).
// Only CreateGzipped takes bytes as they come: compressed, they were
// redacted where they were read (see CreateGzipped).
type Sink struct {
	*shared
	counter *Counter
}

// shared is the state every view of one destination shares.
type shared struct {
	store  Store
	opts   Options
	mu     sync.Mutex
	full   error // set once the disk guard tripped; sticky
	total  Counter
	budget budget
	// record holds the files of the run's record (WriteMeta, AppendMeta):
	// no other write may replace one (a step's --output naming
	// gather-manifest.json or the run log).
	record map[string]bool
}

// Counter counts the files and bytes written through a view of the sink,
// and the logs cut on the way.
type Counter struct {
	files atomic.Int64
	bytes atomic.Int64
	mu    sync.Mutex
	cuts  []Cut
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
	sh := &shared{store: store, opts: opts}
	sh.budget.limit = opts.MaxSize
	return &Sink{shared: sh, counter: new(Counter)}
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

// Guard checks the disk guard now, as a new file would, and reports why
// writes stopped, or nil: for a caller about to start more work.
func (s *Sink) Guard() error { return s.checkGuard() }

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

// claim marks rel as a file of the run's record when meta, and refuses
// any other write of such a file.
func (s *Sink) claim(rel string, meta bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if meta {
		if s.record == nil {
			s.record = map[string]bool{}
		}
		s.record[rel] = true
		return nil
	}
	if s.record[rel] {
		return fmt.Errorf("not writing %s: a file of the run's record", rel)
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
	w       io.Writer      // what callers write to: red, gz or sf
	red     io.WriteCloser // the redactor over gz or sf, if any
	gz      *gzip.Writer
	meta    bool
	prepaid bool  // its bytes were taken from the budget before Close
	written int64 // uncompressed bytes since the last guard check
	done    bool
}

// rules are the redaction rules of a file.
type rules int

const (
	lineRules  rules = iota // redact.NewLineWriter: plain files and logs
	auditRules              // redact.NewAuditWriter: audit logs
	noRules                 // objects (redacted as objects) and gzip data redacted at its source
)

// Create starts writing the file rel (slash-separated, relative to root).
// The line rules apply to what is written (see redact.Line); a file with
// nothing to redact is stored byte for byte.
func (s *Sink) Create(rel string) (*File, error) { return s.create(rel, false, false, lineRules) }

// CreateGzip starts writing rel, which must end in ".gz", compressed, with
// the line rules.
func (s *Sink) CreateGzip(rel string) (*File, error) {
	if err := gzipPath(rel); err != nil {
		return nil, err
	}
	return s.create(rel, true, false, lineRules)
}

// CreateAuditLog starts writing an audit log, rel ending in ".gz",
// compressed, with the audit rules (see redact.AuditEvent) on each line.
func (s *Sink) CreateAuditLog(rel string) (*File, error) {
	if err := gzipPath(rel); err != nil {
		return nil, err
	}
	return s.create(rel, true, false, auditRules)
}

// CreateGzipped starts writing rel, ending in ".gz", from gzip data that
// is stored as it comes: the sink can neither read nor redact compressed
// bytes, so they must have been redacted where they were read (the node
// agent applies the audit rules on the node before it compresses, see
// package agentstream).
func (s *Sink) CreateGzipped(rel string) (*File, error) {
	if err := gzipPath(rel); err != nil {
		return nil, err
	}
	return s.create(rel, false, false, noRules)
}

func gzipPath(rel string) error {
	if !strings.HasSuffix(rel, ".gz") {
		return fmt.Errorf("invalid output path %q: a gzip file must end in .gz", rel)
	}
	return nil
}

// WriteFile writes a whole file at once, with the line rules.
func (s *Sink) WriteFile(rel string, data []byte) error {
	return s.write(rel, data, false, lineRules)
}

// WriteMeta writes a small file that describes the run (version,
// manifest, timestamp, run log), with the line rules. It bypasses the disk
// guard, so a run that stopped for a full disk still finishes its record.
func (s *Sink) WriteMeta(rel string, data []byte) error {
	return s.write(rel, data, true, lineRules)
}

func (s *Sink) write(rel string, data []byte, meta bool, r rules) error {
	f, err := s.create(rel, false, meta, r)
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

func (s *Sink) create(rel string, gz, meta bool, r rules) (*File, error) {
	if err := checkPath(rel); err != nil {
		return nil, err
	}
	if err := s.claim(rel, meta); err != nil {
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
	switch r {
	case lineRules:
		f.red = redact.NewLineWriter(f.w)
		f.w = f.red
	case auditRules:
		f.red = redact.NewAuditWriter(f.w)
		f.w = f.red
	}
	return f, nil
}

// guard checks the disk guard as the file grows by n bytes.
func (f *File) guard(n int) error {
	if f.meta {
		return nil
	}
	f.written += int64(n)
	if f.written >= guardEvery {
		f.written = 0
		if err := f.sink.checkGuard(); err != nil {
			return fmt.Errorf("writing %s: %w", f.rel, err)
		}
	}
	return nil
}

// Write writes to the file, checking the disk guard as it grows.
func (f *File) Write(p []byte) (int, error) {
	if err := f.guard(len(p)); err != nil {
		return 0, err
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
	if err := f.closeWriters(); err != nil {
		f.sf.Discard()
		return fmt.Errorf("writing %s: %w", f.rel, err)
	}
	size, err := f.sf.Commit()
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.rel, err)
	}
	switch {
	case f.prepaid:
	case f.meta:
		f.sink.budget.chargeMeta(f.rel, size)
	default:
		f.sink.budget.charge(size)
	}
	for _, c := range []*Counter{f.sink.counter, &f.sink.total} {
		c.files.Add(1)
		c.bytes.Add(size)
	}
	return nil
}

// closeWriters ends what is written over the store file: the redactor
// writes the last line, gzip its trailer.
func (f *File) closeWriters() error {
	var errs []error
	if f.red != nil {
		errs = append(errs, f.red.Close())
	}
	if f.gz != nil {
		errs = append(errs, f.gz.Close())
	}
	return errors.Join(errs...)
}

// Append moves what others hold (plain files of the same sink, still
// open) to the end of f and drops them: pieces written side by side become
// one file, in order, without holding any of them in memory. Each piece
// was redacted as it was written, and ends where it ended: f's last line
// and each piece's are written out first, not joined. On error the pieces
// not yet moved are dropped too; f keeps what it has.
func (f *File) Append(others ...*File) error {
	var errs []error
	if fl, ok := f.red.(redact.Flusher); ok {
		if err := fl.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", f.rel, err))
		}
	}
	below := writerFunc(func(p []byte) (int, error) {
		if err := f.guard(len(p)); err != nil {
			return 0, err
		}
		return f.sf.Write(p)
	})
	for _, o := range others {
		if len(errs) > 0 {
			o.Abort()
			continue
		}
		if f.gz != nil || o.gz != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: not for gzip files", o.rel, f.rel))
		} else if err := o.closeWriters(); err != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: %w", o.rel, f.rel, err))
		} else if r, err := o.sf.Reader(); err != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: %w", o.rel, f.rel, err))
		} else if _, err := io.Copy(below, r); err != nil {
			errs = append(errs, fmt.Errorf("appending %s to %s: %w", o.rel, f.rel, err))
		}
		o.Abort()
	}
	return errors.Join(errs...)
}

type writerFunc func(p []byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

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

// AppendMeta opens a file of the run's record (the run log) for appending,
// with the line rules. Unlike other files it is visible while it grows, a
// line at a time (a line without its newline yet is held until it has it,
// or until Close), so a run killed midway still leaves it; it bypasses the
// disk guard and is not counted.
func (s *Sink) AppendMeta(rel string) (io.WriteCloser, error) {
	if err := checkPath(rel); err != nil {
		return nil, err
	}
	if err := s.claim(rel, true); err != nil {
		return nil, err
	}
	w, err := s.store.OpenAppend(rel)
	if err != nil {
		return nil, err
	}
	return redactedAppend{WriteCloser: redact.NewLineWriter(w), base: w}, nil
}

// redactedAppend is an appended file behind its redactor.
type redactedAppend struct {
	io.WriteCloser
	base io.WriteCloser
}

func (r redactedAppend) Close() error { return errors.Join(r.WriteCloser.Close(), r.base.Close()) }

// Add counts files and bytes written outside the sink (by an external
// program).
func (c *Counter) Add(files, bytes int64) {
	c.files.Add(files)
	c.bytes.Add(bytes)
}

package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/must-gather/toolkit/pkg/redact"
)

// LogFile is a container log being written (CreateLog): the line rules
// apply, and only its last --max-log-size bytes are kept, from the start of
// a line. Up to that size it streams straight into its file; past it, into
// a ring of that size on disk, so memory stays bounded whatever the log's
// length and a log that fits costs nothing more. Close decides what is
// kept (the log's tail within what is left of --max-size) and records any
// cut.
type LogFile struct {
	sink *Sink
	rel  string
	red  io.WriteCloser
	tail *tailWriter
	cut  *Cut
	done bool
}

// CreateLog starts writing the container log rel. Once --max-size is
// spent it refuses the log with an error wrapping ErrBudgetSpent and
// records the cut.
func (s *Sink) CreateLog(rel string) (*LogFile, error) {
	if s.budget.spent() {
		s.recordCut(Cut{Path: rel, Reason: CutMaxSize})
		return nil, fmt.Errorf("not writing %s: %w", rel, ErrBudgetSpent)
	}
	f, err := s.create(rel, false, false, noRules)
	if err != nil {
		return nil, err
	}
	t := &tailWriter{file: f, limit: s.opts.MaxLogSize, ringDir: s.store.Dir()}
	return &LogFile{sink: s, rel: rel, tail: t, red: redact.NewLineWriter(t)}, nil
}

// Write writes to the log, checking the disk guard as it grows.
func (l *LogFile) Write(p []byte) (int, error) { return l.red.Write(p) }

// Abort drops the log.
func (l *LogFile) Abort() {
	if l.done {
		return
	}
	l.done = true
	l.tail.drop()
}

// Cut reports, after Close, how the log was cut (nil: kept whole).
func (l *LogFile) Cut() *Cut { return l.cut }

// Close keeps the log's tail that fits both limits, from a line's start,
// and moves it into place. A log --max-size has no room left for is
// dropped: the cut is recorded, and Close returns nil.
func (l *LogFile) Close() error {
	if l.done {
		return nil
	}
	l.done = true
	if err := l.red.Close(); err != nil {
		l.tail.drop()
		return err // says the file already
	}
	t := l.tail
	stored := t.stored()
	grant := l.sink.budget.take(stored)
	if t.ring == nil && grant == stored {
		// Whole: the file is already what is kept.
		t.file.prepaid = true
		if err := t.file.Close(); err != nil {
			l.sink.budget.refund(grant)
			return err
		}
		return nil
	}
	reason := CutMaxLogSize
	if grant < stored {
		reason = CutMaxSize
	}
	c := Cut{Path: l.rel, OriginalBytes: t.n, Reason: reason}
	defer func() { l.cut = &c; l.sink.recordCut(c) }()
	if grant == 0 {
		t.drop()
		return nil
	}
	kept, err := t.keepTail(grant)
	if err != nil {
		l.sink.budget.refund(grant)
		return fmt.Errorf("writing %s: %w", l.rel, err)
	}
	// A log cut for --max-size spends the budget: the bytes before its
	// first whole line stay charged, so no later log gets a scrap.
	if reason == CutMaxLogSize {
		l.sink.budget.refund(grant - kept)
	}
	c.KeptBytes = kept
	return nil
}

// tailWriter keeps the last limit bytes written: the first limit go
// straight to file; past that, the log lives in ring, a temporary file of
// limit+1 bytes written round (byte k of the log at k mod limit+1), whose
// oldest byte is at pos once it is full.
type tailWriter struct {
	file    *File // the log's file (no rules of its own: the redactor is above)
	limit   int64 // 0: keep everything
	n       int64 // bytes written, the log's whole length
	ringDir string
	ring    *os.File
	pos     int64
}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.ring == nil && (t.limit == 0 || t.n+int64(len(p)) <= t.limit) {
		n, err := t.file.Write(p)
		t.n += int64(n)
		return n, err
	}
	if t.ring == nil {
		if err := t.spill(); err != nil {
			return 0, err
		}
	}
	if err := t.file.guard(len(p)); err != nil {
		return 0, err
	}
	size := t.ringSize()
	t.n += int64(len(p))
	q := p
	if int64(len(q)) > size {
		// Only the last bytes of p survive: skip the rest.
		skip := int64(len(q)) - size
		t.pos = (t.pos + skip) % size
		q = q[skip:]
	}
	for len(q) > 0 {
		chunk := q[:min(int64(len(q)), size-t.pos)]
		if _, err := t.ring.WriteAt(chunk, t.pos); err != nil {
			return 0, fmt.Errorf("writing %s: %w", t.file.rel, err)
		}
		t.pos = (t.pos + int64(len(chunk))) % size
		q = q[len(chunk):]
	}
	return len(p), nil
}

// ringSize is the ring's length: the bytes kept, and the one before them,
// which tells whether the first kept byte starts a line.
func (t *tailWriter) ringSize() int64 { return t.limit + 1 }

// spill moves what the file holds (at most limit bytes) into the ring.
func (t *tailWriter) spill() error {
	ring, err := os.CreateTemp(t.ringDir, ".log-tail-*")
	if err != nil {
		return fmt.Errorf("writing %s: making the ring of a log cut to --max-log-size: %w", t.file.rel, err)
	}
	// Unlinked at once: nothing is left behind, however the run ends.
	_ = os.Remove(ring.Name())
	r, err := t.file.sf.Reader()
	if err == nil {
		_, err = io.Copy(ring, r)
	}
	if err != nil {
		_ = ring.Close()
		return fmt.Errorf("writing %s: making the ring of a log cut to --max-log-size: %w", t.file.rel, err)
	}
	// The ring holds it all now: the file's copy would only take room
	// on the volume (up to --max-log-size per log in flight).
	t.file.sf.Discard()
	t.ring, t.pos = ring, t.n%t.ringSize()
	return nil
}

// stored is how many bytes the log has to keep at most.
func (t *tailWriter) stored() int64 {
	if t.ring != nil {
		return t.limit
	}
	return t.n
}

// drop discards the file and the ring.
func (t *tailWriter) drop() {
	t.file.Abort()
	if t.ring != nil {
		_ = t.ring.Close()
	}
}

// alignWithin is how far past a cut a line's start is looked for: a
// longer line is kept from the middle.
const alignWithin = 64 << 10

// keepTail writes the last keep bytes of the log (fewer than it holds),
// from the first line that starts among them, to a new file at its path,
// and returns how many it kept. The file's bytes are taken from the
// budget already.
func (t *tailWriter) keepTail(keep int64) (int64, error) {
	defer t.drop()
	var (
		src   io.Reader
		total int64
	)
	if t.ring != nil {
		src = io.MultiReader(io.NewSectionReader(t.ring, t.pos, t.ringSize()-t.pos), io.NewSectionReader(t.ring, 0, t.pos))
		total = t.ringSize()
	} else {
		r, err := t.file.sf.Reader()
		if err != nil {
			return 0, err
		}
		src, total = r, t.n
	}
	br := bufio.NewReaderSize(src, alignWithin)
	if _, err := br.Discard(int(total - keep - 1)); err != nil {
		return 0, err
	}
	prev, err := br.ReadByte()
	if err != nil {
		return 0, err
	}
	if prev != '\n' {
		head, err := br.Peek(alignWithin)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, err
		}
		if i := bytes.IndexByte(head, '\n'); i >= 0 && i+1 < len(head) {
			_, _ = br.Discard(i + 1)
			keep -= int64(i + 1)
		}
	}
	// A fresh file at the same path, with no rules: what it gets was
	// redacted on its way in.
	out, err := t.file.sink.create(t.file.rel, false, false, noRules)
	if err != nil {
		return 0, err
	}
	out.prepaid = true
	if _, err := io.Copy(out.sf, br); err != nil {
		out.Abort()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return keep, nil
}

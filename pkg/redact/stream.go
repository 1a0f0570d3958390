package redact

import (
	"bytes"
	"errors"
	"io"
)

// Streaming: a LineWriter (or an audit writer or reader) applies the rules
// line by line as the bytes pass, holding one line at most, and at most
// MaxLine bytes of it (MaxAuditLine for audit logs). What it keeps between
// lines is whether it is inside a PEM private key spread over several
// lines: the lines of a key become one REDACTED line, up to its END marker
// or, when that does not come, for at most maxKeyBytes.
//
// A line longer than the bound goes on in pieces: the rules run over what
// is held, and all of it but the last pieceOverlap bytes goes out, the cut
// moved off any match, so a secret of up to pieceOverlap bytes split at a
// cut is seen whole. A value so long that its match reaches from the first
// half of the buffer to its end is masked to the buffer's end, and what
// follows it up to the next space, quote or separator is dropped.
//
// An audit line longer than MaxAuditLine cannot be read as an event: it
// keeps what comes before its objects (closed with "}"), and loses the
// rest up to its newline.

const (
	// MaxLine bounds what a LineWriter holds of one line: 1 MiB.
	MaxLine = 1 << 20
	// MaxAuditLine bounds an audit event read whole: 8 MiB, room for a
	// request and a response object at the apiserver's limits (3 MiB of
	// request body, 1.5 MiB objects in etcd).
	MaxAuditLine = 8 << 20
	// pieceOverlap is what a piece of a long line keeps for the next one.
	pieceOverlap = 4 << 10
	// maxKeyBytes bounds the lines of a PEM private key (a 16384-bit RSA
	// key is 12.5 KiB of PEM; log prefixes on its lines add some).
	maxKeyBytes = 64 << 10
)

// streamer is the state of a redacting stream.
type streamer struct {
	max   int
	audit bool
	buf   []byte // the current line so far, no newline in it
	out   []byte // redacted output not handed on yet
	edits []edit

	inKey     bool // inside a PEM private key over several lines
	keyBytes  int
	keyMarked bool // its REDACTED line is out

	skip     bool // an audit line too long: dropping it up to its newline
	contMask bool // dropping the rest of a masked value longer than a piece
}

func newStreamer(audit bool) *streamer {
	if audit {
		return &streamer{max: MaxAuditLine, audit: true}
	}
	return &streamer{max: MaxLine}
}

// feed takes the next bytes of the stream; what is redacted goes to s.out.
func (s *streamer) feed(p []byte) {
	for len(p) > 0 {
		if s.skip {
			k := bytes.IndexByte(p, '\n')
			if k < 0 {
				return
			}
			s.skip = false
			s.out = append(s.out, '\n')
			p = p[k+1:]
			continue
		}
		if s.contMask {
			k := bytes.IndexFunc(p, func(r rune) bool { return r < 0x80 && isBreak(byte(r)) })
			if k < 0 {
				return
			}
			s.contMask = false
			p = p[k:]
			continue
		}
		k := bytes.IndexByte(p, '\n')
		if len(s.buf)+k+1 > s.max || k < 0 && len(s.buf)+len(p) >= s.max {
			room := s.max - len(s.buf)
			s.buf = append(s.buf, p[:room]...)
			p = p[room:]
			s.piece()
			continue
		}
		if k < 0 {
			s.buf = append(s.buf, p...)
			return
		}
		if len(s.buf) == 0 {
			s.line(p[:k+1])
		} else {
			s.buf = append(s.buf, p[:k+1]...)
			s.line(s.buf)
			s.buf = s.buf[:0]
		}
		p = p[k+1:]
	}
}

// isBreak ends a value that was masked across a cut.
func isBreak(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', ',', ';', '&', '}', ']':
		return true
	}
	return false
}

// end takes the end of the stream: the last line, without its newline.
func (s *streamer) end() {
	if len(s.buf) > 0 && !s.skip && !s.contMask {
		s.line(s.buf)
	}
	s.buf = s.buf[:0]
}

// line redacts a whole line (with its newline, but for the last one).
func (s *streamer) line(l []byte) {
	if s.inKey {
		// The indentation of the key's lines stays (a key inside a YAML
		// document keeps the document valid); nothing else of them does.
		if k := pemEndIn(l); k >= 0 {
			s.inKey = false
			if !s.keyMarked {
				s.out = append(s.out, Masked...)
				s.out = append(s.out, '\n')
			}
			if ws := indent(l); ws == k {
				k = 0
			}
			s.out = appendLine(s.out, l[k:])
			return
		}
		s.keyBytes += len(l)
		if s.keyBytes <= maxKeyBytes {
			if !s.keyMarked {
				s.keyMarked = true
				s.out = append(s.out, l[:indent(l)]...)
				s.out = append(s.out, Masked...)
				s.out = append(s.out, l[lineEnd(l):]...)
			}
			return
		}
		s.inKey = false // no key is this long: what follows is a log again
	}
	if s.audit {
		s.out = appendAudit(s.out, l)
	} else {
		s.out = appendLine(s.out, l)
	}
	if endsWithPEMBegin(l) {
		s.inKey, s.keyBytes, s.keyMarked = true, 0, false
	}
}

// indent is the length of the spaces and tabs that start l.
func indent(l []byte) int {
	n := 0
	for n < len(l) && (l[n] == ' ' || l[n] == '\t') {
		n++
	}
	return n
}

// piece handles a line longer than the bound: s.buf is full.
func (s *streamer) piece() {
	s.inKey = false // no key line is this long
	if s.audit {
		if k := objectKeyIndex(s.buf); k >= 0 {
			s.out = appendLine(s.out, s.buf[:k])
			s.out = append(s.out, '}')
			s.buf = s.buf[:0]
			s.skip = true
			return
		}
	}
	buf := s.buf
	s.edits = lineEdits(buf, s.edits)
	cut := len(buf) - pieceOverlap
	for _, e := range s.edits {
		if e.from < cut && e.end > cut {
			switch {
			case e.end < len(buf):
				cut = e.end
			case e.from > len(buf)/2:
				cut = e.from
			default:
				// A value as long as half the buffer: masked to its end.
				cut = len(buf)
				s.contMask = true
			}
			break
		}
	}
	emitted := s.edits
	for i, e := range s.edits {
		if e.end > cut {
			emitted = s.edits[:i]
			break
		}
	}
	s.out = applyEdits(s.out, buf[:cut], emitted)
	n := copy(buf, buf[cut:])
	s.buf = buf[:n]
}

// LineWriter applies the line rules to what is written through it, line
// by line, and writes the result to the writer below.
type lineWriter struct {
	s      *streamer
	w      io.Writer
	closed bool
}

// NewLineWriter returns a writer that applies the line rules (see Line) to
// every line written through it and writes the result to w. It holds at
// most MaxLine bytes of a line; Close writes the last line, which may lack
// its newline (it does not close w). Write reports the bytes taken, all of
// p unless w fails.
func NewLineWriter(w io.Writer) io.WriteCloser { return &lineWriter{s: newStreamer(false), w: w} }

// NewAuditWriter is NewLineWriter with the audit rules (see AuditEvent)
// for each line, holding at most MaxAuditLine bytes of one.
func NewAuditWriter(w io.Writer) io.WriteCloser { return &lineWriter{s: newStreamer(true), w: w} }

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.closed {
		return 0, errors.New("redact: write after close")
	}
	l.s.feed(p)
	if err := l.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lineWriter) flush() error {
	if len(l.s.out) == 0 {
		return nil
	}
	_, err := l.w.Write(l.s.out)
	l.s.out = l.s.out[:0]
	return err
}

// Close writes the last line.
func (l *lineWriter) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	l.s.end()
	return l.flush()
}

// Flusher is implemented by the writers of this package: Flush writes the
// line held so far, as if the stream ended there, and starts afresh. For a
// writer whose stream is followed by another's (pieces joined in order).
type Flusher interface{ Flush() error }

// Flush writes the line held so far.
func (l *lineWriter) Flush() error {
	l.s.end()
	l.s.skip, l.s.contMask, l.s.inKey = false, false, false
	return l.flush()
}

// auditReader applies the audit rules to what is read through it.
type auditReader struct {
	s   *streamer
	r   io.Reader
	in  []byte
	at  int // of s.out handed out
	err error
}

// NewAuditReader returns a reader of r with the audit rules (see
// AuditEvent) applied to each line, holding at most MaxAuditLine bytes of
// one: for the node agent, which streams files it reads.
func NewAuditReader(r io.Reader) io.Reader {
	return &auditReader{s: newStreamer(true), r: r, in: make([]byte, 64<<10)}
}

func (a *auditReader) Read(p []byte) (int, error) {
	for a.at == len(a.s.out) {
		if a.err != nil {
			return 0, a.err
		}
		a.s.out, a.at = a.s.out[:0], 0
		n, err := a.r.Read(a.in)
		a.s.feed(a.in[:n])
		if err != nil {
			if err == io.EOF {
				a.s.end()
			}
			a.err = err
		}
	}
	n := copy(p, a.s.out[a.at:])
	a.at += n
	return n, nil
}

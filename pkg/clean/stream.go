package clean

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

const (
	// minBuf is the read buffer a file starts with; a line longer than it
	// doubles it, up to maxLine.
	minBuf = 64 << 10
	// maxLine is the longest line cleaned as one (a base64 value is
	// decoded only when its line fits): a longer line is cleaned in
	// pieces cut where no value can span.
	maxLine = 4 << 20
	// flushAt is how much cleaned text is kept before it is written.
	flushAt = 64 << 10
)

var (
	pemBegin = []byte("-----BEGIN CERTIFICATE-----")
	pemEnd   = []byte("-----END CERTIFICATE-----")
	// b64PEM is how "-----BEGIN CERTIFICATE" starts in base64: a
	// certificate kept encoded (a kubeconfig's certificate-authority-data).
	b64PEM = []byte("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS")
)

// NotCleaned are the reasons a part of a file is left as it is.
const (
	// NotCleanedCertificate: a PEM certificate (its names and addresses
	// are signed; changing them would break it).
	NotCleanedCertificate = "certificate"
	// NotCleanedBinaryValue: a base64 data/binaryData value that is not
	// text.
	NotCleanedBinaryValue = "binary-value"
	// NotCleanedBinaryFile: a file that is not text (it holds NUL bytes).
	NotCleanedBinaryFile = "binary-file"
)

// fileCleaner cleans one file's text, line by line, keeping the state that
// spans lines: inside a PEM certificate, inside a YAML data/binaryData map.
type fileCleaner struct {
	sc     *scanner
	format format // YAML and JSON: base64 values of data/binaryData are decoded

	counts     counts
	notCleaned map[string]int

	inPEM     bool
	b64Indent int // the indent of the data/binaryData key, -1 outside one
	b64Binary bool
}

// format is what a file's name says it holds.
type format int

const (
	formatText format = iota
	formatYAML
	formatJSON // as kubectl writes it: one key a line
)

// formatOf is the format of the file p (a .gz one without its .gz).
func formatOf(p string) format {
	switch path.Ext(strings.TrimSuffix(p, ".gz")) {
	case ".yaml", ".yml":
		return formatYAML
	case ".json":
		return formatJSON
	}
	return formatText
}

func newFileCleaner(sc *scanner, f format) *fileCleaner {
	return &fileCleaner{sc: sc, format: f, b64Indent: -1, notCleaned: map[string]int{}}
}

// stream cleans r into w, never holding more than a line (at most maxLine)
// and the cleaned text of one buffer.
func (fc *fileCleaner) stream(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, 0, minBuf)
	out := make([]byte, 0, flushAt+flushAt/4)
	cont := false // buf starts in the middle of a line
	flush := func(force bool) error {
		if len(out) == 0 || (!force && len(out) < flushAt) {
			return nil
		}
		_, err := w.Write(out)
		out = out[:0]
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr != nil && rerr != io.EOF {
			return rerr
		}
		done := 0
		for {
			j := bytes.IndexByte(buf[done:], '\n')
			if j < 0 {
				break
			}
			out = fc.line(out, buf[done:done+j+1], cont)
			cont = false
			done += j + 1
			if err := flush(false); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			out = fc.line(out, buf[done:], cont)
			return flush(true)
		}
		if done == 0 && len(buf) == cap(buf) {
			if cap(buf) < maxLine {
				buf = append(make([]byte, 0, 2*cap(buf)), buf...)
				continue
			}
			// A line longer than maxLine: clean up to the last byte no
			// value spans.
			k := len(buf)
			for k > 0 && runChar(buf[k-1]) {
				k--
			}
			if k == 0 {
				k = len(buf)
			}
			out = fc.line(out, buf[:k], true)
			cont = true
			done = k
			if err := flush(false); err != nil {
				return err
			}
		}
		buf = buf[:copy(buf, buf[done:])]
	}
}

// line appends the cleaned line to dst; cont says it is not the start of a
// line (a piece of a long one).
func (fc *fileCleaner) line(dst, line []byte, cont bool) []byte {
	if len(line) == 0 {
		return dst
	}
	if !cont && !fc.inPEM {
		out, ok := dst, false
		switch fc.format {
		case formatYAML:
			out, ok = fc.yamlLine(dst, line)
		case formatJSON:
			out, ok = fc.jsonLine(dst, line)
		}
		if ok {
			return out
		}
	}
	fc.notCleaned[NotCleanedCertificate] += bytes.Count(line, b64PEM)
	return fc.text(dst, line)
}

// text appends the cleaned text to dst, leaving PEM certificates as they are.
func (fc *fileCleaner) text(dst, t []byte) []byte {
	for len(t) > 0 {
		if fc.inPEM {
			i := bytes.Index(t, pemEnd)
			if i < 0 {
				return append(dst, t...)
			}
			dst = append(dst, t[:i+len(pemEnd)]...)
			t = t[i+len(pemEnd):]
			fc.inPEM = false
			continue
		}
		i := bytes.Index(t, pemBegin)
		if i < 0 {
			return fc.sc.clean(dst, t, &fc.counts)
		}
		dst = fc.sc.clean(dst, t[:i], &fc.counts)
		dst = append(dst, pemBegin...)
		t = t[i+len(pemBegin):]
		fc.inPEM = true
		fc.notCleaned[NotCleanedCertificate]++
	}
	return dst
}

// yamlLine handles the lines of a data or binaryData map: a value that is
// base64 of text is decoded, cleaned and encoded again. It reports false
// for any other line, which is then cleaned as text.
func (fc *fileCleaner) yamlLine(dst, line []byte) ([]byte, bool) {
	body := bytes.TrimRight(line, "\r\n")
	indent := 0
	for indent < len(body) && (body[indent] == ' ' || body[indent] == '-') {
		indent++
	}
	if indent == len(body) || body[indent] == '#' {
		return dst, false
	}
	key, value, _ := bytes.Cut(body[indent:], []byte(":"))
	value = bytes.TrimSpace(value)
	if fc.b64Indent >= 0 && indent <= fc.b64Indent {
		fc.b64Indent = -1
	}
	if fc.b64Indent < 0 {
		if len(value) == 0 && (string(key) == "data" || string(key) == "binaryData") {
			fc.b64Indent = indent
			fc.b64Binary = string(key) == "binaryData"
		}
		return dst, false
	}
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return fc.b64Value(dst, line, body, value)
}

// jsonLine does for JSON what yamlLine does for YAML: the values of a
// "data": { or "binaryData": { object, one a line, up to its }.
func (fc *fileCleaner) jsonLine(dst, line []byte) ([]byte, bool) {
	body := bytes.TrimRight(line, "\r\n")
	t := bytes.TrimSpace(body)
	if fc.b64Indent >= 0 {
		if bytes.HasPrefix(t, []byte("}")) {
			fc.b64Indent = -1
			return dst, false
		}
		_, v, ok := bytes.Cut(t, []byte(`": "`))
		v = bytes.TrimSuffix(v, []byte(","))
		if !ok || len(v) < 2 || v[len(v)-1] != '"' {
			return dst, false
		}
		return fc.b64Value(dst, line, body, v[:len(v)-1])
	}
	if s := string(t); s == `"data": {` || s == `"binaryData": {` {
		fc.b64Indent = 0
		fc.b64Binary = s == `"binaryData": {`
	}
	return dst, false
}

// b64Value appends line with value (a part of its body, line without its
// line end) decoded, cleaned and encoded again when it is base64 of text;
// it reports false, appending nothing, for any other value.
func (fc *fileCleaner) b64Value(dst, line, body, value []byte) ([]byte, bool) {
	if len(value) < 4 || len(value)%4 != 0 {
		return dst, false
	}
	decoded, err := base64.StdEncoding.Strict().DecodeString(string(value))
	if err != nil {
		return dst, false
	}
	if !isText(decoded) {
		if fc.b64Binary {
			fc.notCleaned[NotCleanedBinaryValue]++
		}
		return dst, false
	}
	// The value is text: clean it as a file of its own (its own PEM and
	// line state), counted in this one.
	inner := newFileCleaner(fc.sc, formatText)
	cleaned := inner.text(nil, decoded)
	for k := range fc.counts {
		fc.counts[k] += inner.counts[k]
	}
	for k, n := range inner.notCleaned {
		fc.notCleaned[k] += n
	}
	prefix := body[:bytes.LastIndex(body, value)]
	dst = append(dst, prefix...)
	dst = base64.StdEncoding.AppendEncode(dst, cleaned)
	dst = append(dst, body[len(prefix)+len(value):]...)
	return append(dst, line[len(body):]...), true
}

// isText says whether b is UTF-8 text: no NUL and no control character
// other than tab, newline, carriage return and form feed.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return false
		}
	}
	return true
}

// errorf wraps err with what was being done to name.
func errorf(name string, err error) error { return fmt.Errorf("cleaning %s: %w", name, err) }

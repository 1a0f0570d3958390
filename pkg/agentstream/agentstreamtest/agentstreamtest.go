// Package agentstreamtest writes node agent streams for the tests of what
// reads them, with the real agentstream.Writer: a test's stream is one the
// agent could send.
package agentstreamtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/agentstream"
)

// File is a file on the node the agent sends.
type File struct {
	Name, Content string
	// FailAfter > 0: reading the file fails after so many bytes, as a disk
	// error on the node.
	FailAfter int
}

func (f File) reader() io.Reader {
	if f.FailAfter > 0 {
		return io.MultiReader(strings.NewReader(f.Content[:f.FailAfter]), errReader{})
	}
	return strings.NewReader(f.Content)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("input/output error") }

// Write returns the stream of the listing and files (a .gz file's Content
// is what it holds decompressed, as the agent reads it), each file in
// entries of at most chunk bytes of it, and the errors reading those that fail:
// as the agent does, the stream goes on with the next file and ends whole.
func Write(t testing.TB, chunk int64, listing []string, files ...File) (stream []byte, unread []error) {
	t.Helper()
	var b bytes.Buffer
	w := agentstream.NewWriterSize(&b, chunk)
	if err := w.Listing(listing); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		err := w.Members(f.Name, f.reader(), time.Unix(1e9, 0))
		var se *agentstream.SourceError
		if errors.As(err, &se) {
			unread = append(unread, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), unread
}

// Gzip returns s as one gzip member: a file the node has gzipped already,
// or an entry of a file.
func Gzip(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Gunzip returns the content of gzip data (concatenated members are one
// file), or why it is not a valid gzip file.
func Gunzip(b []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	plain, err := io.ReadAll(zr)
	return string(plain), err
}

package agentstream

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ListingName is the tar entry, first in the stream, that lists every file
// of the directories asked for, one per line, also those the since-window
// left out.
const ListingName = ".listing"

// EndName is the tar entry, last in the stream, that says it is complete:
// a stream cut between two entries is otherwise a valid tar stream.
const EndName = ".end"

// PAX records of a file's entries.
const (
	// RecordPart numbers a file's entries from 0: a new file starts at 0.
	RecordPart = "MGTK.part"
	// RecordLast marks a file's last entry.
	RecordLast = "MGTK.last"
)

// ChunkSize is how much of a file one tar entry carries (before
// compression): what the writer holds in memory at once.
const ChunkSize = 8 << 20

// MaxEntry bounds one entry a Reader holds in memory: a chunk, gzipped
// (which can grow incompressible data a little).
const MaxEntry = ChunkSize + ChunkSize/8

// EntryName is the name of a file's entries: NAME.gz, or NAME when it ends
// in .gz already (its content is sent decompressed, in gzip members).
func EntryName(name string) string {
	if strings.HasSuffix(name, ".gz") {
		return name
	}
	return name + ".gz"
}

// SourceError is a failure to read the file being written: the entries
// written of it stay whole (the last one not marked), and the stream can
// go on with the next file.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// Writer writes a stream: Listing first, then Members for each file, then
// Close.
type Writer struct {
	tw    *tar.Writer
	buf   bytes.Buffer
	zw    *gzip.Writer // reused by Members
	chunk int64
}

// NewWriter returns a Writer of entries of ChunkSize.
func NewWriter(w io.Writer) *Writer { return NewWriterSize(w, ChunkSize) }

// NewWriterSize returns a Writer of entries of at most chunk bytes of a
// file each.
func NewWriterSize(w io.Writer, chunk int64) *Writer {
	if chunk <= 0 {
		chunk = ChunkSize
	}
	return &Writer{tw: tar.NewWriter(w), chunk: chunk}
}

// Listing writes the listing entry: names, one per line.
func (w *Writer) Listing(names []string) error {
	body := strings.Join(names, "\n")
	if body != "" {
		body += "\n"
	}
	if err := w.tw.WriteHeader(&tar.Header{Name: ListingName, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.WriteString(w.tw, body)
	return err
}

// Members writes the file name, its content read from src to its end
// (decompressed already when name ends in .gz), as entries of its
// EntryName of at most a chunk of the content each, every one a complete
// gzip member: concatenated, one valid gzip file of the whole. A read
// error is a *SourceError (the entries written stay whole, the last one
// not marked, and the stream can go on); any other error is the stream's.
func (w *Writer) Members(name string, src io.Reader, modTime time.Time) error {
	entry := EntryName(name)
	br := bufio.NewReaderSize(src, 64<<10)
	if w.zw == nil {
		w.zw = gzip.NewWriter(&w.buf)
	}
	for part := 0; ; part++ {
		w.buf.Reset()
		w.zw.Reset(&w.buf)
		_, err := io.CopyN(w.zw, br, w.chunk)
		if cerr := w.zw.Close(); cerr != nil {
			return cerr
		}
		last := errors.Is(err, io.EOF)
		if err == nil {
			// The end of src right at a chunk's end ends the file here.
			if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
				last = true
			} else if perr != nil {
				err = perr
			}
		}
		if err != nil && !last {
			return &SourceError{fmt.Errorf("reading %s: %w", name, err)}
		}
		records := map[string]string{RecordPart: strconv.Itoa(part)}
		if last {
			records[RecordLast] = "1"
		}
		hdr := &tar.Header{Name: entry, Mode: 0o644, Size: int64(w.buf.Len()), ModTime: modTime, Typeflag: tar.TypeReg,
			Format: tar.FormatPAX, PAXRecords: records}
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := w.buf.WriteTo(w.tw); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// Close writes the end mark and ends the tar stream (it does not close the
// underlying writer).
func (w *Writer) Close() error {
	if err := w.tw.WriteHeader(&tar.Header{Name: EndName, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	return w.tw.Close()
}

package agentstream

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// File is where a Reader writes a file of the stream.
type File interface {
	Write(p []byte) (int, error)
	// Close keeps the file.
	Close() error
	// Abort drops it.
	Abort()
}

// maxListing bounds the listing a Reader holds in memory.
const maxListing = 16 << 20

// Reader reads a stream and hands its listing and files on.
type Reader struct {
	// From names where the stream comes from (a node), for errors.
	From string
	// Listing takes the names of the listing, when there is one.
	Listing func(names []string)
	// Accept says whether a file entry's name is one asked for: a stream
	// with any other is refused.
	Accept func(entry string) bool
	// Create makes the file of an accepted entry name.
	Create func(entry string) (File, error)
}

// Read writes the files of the stream r. A file's entries are held one at
// a time and written whole. A file that does not arrive whole keeps its
// whole gzip members, a valid start of it. That is an error (and the
// stream goes on), as is a break of the stream or a stream without its end
// mark.
func (rd *Reader) Read(r io.Reader) (err error) {
	tr := tar.NewReader(r)
	var (
		cur   File
		name  string // of the file being written
		next  int    // its next part
		buf   []byte
		ended bool
		errs  []error // of files that did not arrive whole; the stream goes on
	)
	// unfinished ends the file being written when it did not arrive whole.
	unfinished := func() error {
		if cur == nil {
			return nil
		}
		f := cur
		cur = nil
		return errors.Join(fmt.Errorf("%s of %s did not arrive whole: kept its first %d parts", name, rd.From, next), f.Close())
	}
	defer func() {
		err = errors.Join(append(errs, err, unfinished())...)
		if err == nil && !ended {
			err = fmt.Errorf("the node agent's stream from %s ended early", rd.From)
		}
	}()
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the node agent's stream from %s: %w", rd.From, err)
		}
		switch h.Name {
		case EndName:
			ended = true
			continue
		case ListingName:
			b, err := io.ReadAll(io.LimitReader(tr, maxListing))
			if err != nil {
				return fmt.Errorf("reading the node agent's stream from %s: %w", rd.From, err)
			}
			if rd.Listing != nil {
				rd.Listing(strings.Fields(string(b)))
			}
			continue
		}
		if !rd.Accept(h.Name) {
			return fmt.Errorf("unexpected entry %q in the node agent's stream from %s", h.Name, rd.From)
		}
		if h.Size < 0 || h.Size > MaxEntry {
			return fmt.Errorf("entry %q of %d bytes in the node agent's stream from %s: at most %d expected", h.Name, h.Size, rd.From, MaxEntry)
		}
		part, _ := strconv.Atoi(h.PAXRecords[RecordPart])
		if part == 0 {
			// The agent goes on with the next file after one it could not
			// read to its end.
			errs = append(errs, unfinished())
		} else if cur == nil || h.Name != name || part != next {
			return fmt.Errorf("entry %q part %d out of order in the node agent's stream from %s", h.Name, part, rd.From)
		}
		buf = slices.Grow(buf[:0], int(h.Size))[:h.Size]
		if _, err := io.ReadFull(tr, buf); err != nil {
			return fmt.Errorf("%s of %s cut short: %w", h.Name, rd.From, err)
		}
		if part == 0 {
			f, err := rd.Create(h.Name)
			if err != nil {
				return err
			}
			cur, name = f, h.Name
		}
		if _, err := cur.Write(buf); err != nil {
			cur.Abort()
			cur = nil
			return err
		}
		next = part + 1
		if h.PAXRecords[RecordLast] != "" {
			f := cur
			cur = nil
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
}

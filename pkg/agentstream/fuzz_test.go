package agentstream_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/agentstream/agentstreamtest"
)

// endedFile is a File that checks it is ended once, and not written after.
type endedFile struct {
	t     *testing.T
	name  string
	b     bytes.Buffer
	ended string // "closed" or "aborted"
	kept  map[string][]byte
}

func (f *endedFile) Write(p []byte) (int, error) {
	if f.ended != "" {
		f.t.Fatalf("%s written after it was %s", f.name, f.ended)
	}
	return f.b.Write(p)
}

func (f *endedFile) Close() error {
	if f.ended != "" {
		f.t.Fatalf("%s closed after it was %s", f.name, f.ended)
	}
	f.ended = "closed"
	f.kept[f.name] = f.b.Bytes()
	return nil
}

func (f *endedFile) Abort() {
	if f.ended != "" {
		f.t.Fatalf("%s aborted after it was %s", f.name, f.ended)
	}
	f.ended = "aborted"
}

// checkedReader reads files below var/log/ and checks, once Read returned,
// that each file it created was ended once.
func checkedReader(t *testing.T) (*agentstream.Reader, map[string][]byte, func()) {
	kept := map[string][]byte{}
	var files []*endedFile
	rd := &agentstream.Reader{
		From:   "n1",
		Accept: func(entry string) bool { return strings.HasPrefix(entry, "var/log/") },
		Create: func(entry string) (agentstream.File, error) {
			f := &endedFile{t: t, name: entry, kept: kept}
			files = append(files, f)
			return f, nil
		},
	}
	return rd, kept, func() {
		t.Helper()
		for _, f := range files {
			if f.ended == "" {
				t.Fatalf("%s was neither closed nor aborted", f.name)
			}
		}
	}
}

// FuzzReadBytes: any bytes as a stream: Read does not panic, and every
// file it starts is closed or aborted once, and never written after.
func FuzzReadBytes(f *testing.F) {
	stream, _ := agentstreamtest.Write(f, 4, []string{"var/log/a"},
		agentstreamtest.File{Name: "var/log/a", Content: "line 1\nline 2\n"},
		agentstreamtest.File{Name: "var/log/b.gz", Content: "zz", FailAfter: 1})
	f.Add(stream)
	f.Add(stream[:len(stream)/2])
	f.Add([]byte("not a tar stream"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd, _, check := checkedReader(t)
		_ = rd.Read(bytes.NewReader(in))
		check()
	})
}

// FuzzReadCut: a stream the agent wrote, cut anywhere: every file kept is
// a valid gzip file of a start of the file sent, the whole file when its
// last part arrived, and the stream is an error unless it arrived whole.
func FuzzReadCut(f *testing.F) {
	f.Add("line 1\nline 2\n", "second file\n", uint8(4), uint16(0))
	f.Add("line 1\nline 2\n", "second file\n", uint8(3), uint16(700))
	f.Add("", "x", uint8(1), uint16(1500))
	f.Fuzz(func(t *testing.T, a, b string, chunk uint8, cut uint16) {
		sent := map[string]string{"var/log/a.gz": a, "var/log/b.gz": b}
		stream, _ := agentstreamtest.Write(t, int64(chunk%16)+1, []string{"var/log/a", "var/log/b"},
			agentstreamtest.File{Name: "var/log/a", Content: a},
			agentstreamtest.File{Name: "var/log/b", Content: b})
		whole := cut == 0 || int(cut) >= len(stream)
		if !whole {
			stream = stream[:cut]
		}
		rd, kept, check := checkedReader(t)
		err := rd.Read(bytes.NewReader(stream))
		check()
		if whole != (err == nil) {
			t.Fatalf("stream of %d bytes (whole: %v): error %v", len(stream), whole, err)
		}
		for name, gz := range kept {
			got, gerr := agentstreamtest.Gunzip(gz)
			if gerr != nil {
				t.Fatalf("%s kept is not a valid gzip file: %v", name, gerr)
			}
			if !strings.HasPrefix(sent[name], got) {
				t.Fatalf("%s kept %q, not a start of %q", name, got, sent[name])
			}
			if whole && got != sent[name] {
				t.Fatalf("%s kept %q of a whole stream, want %q", name, got, sent[name])
			}
		}
		if whole && len(kept) != len(sent) {
			t.Fatalf("a whole stream kept %d files, want %d", len(kept), len(sent))
		}
	})
}

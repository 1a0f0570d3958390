package agentstream_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/agentstream/agentstreamtest"
)

// memFiles is an in-memory receiver: the files kept, by entry name.
type memFiles struct {
	kept    map[string][]byte
	listing []string
}

type memFile struct {
	m    *memFiles
	name string
	b    bytes.Buffer
}

func (f *memFile) Write(p []byte) (int, error) { return f.b.Write(p) }
func (f *memFile) Close() error {
	f.m.kept[f.name] = f.b.Bytes()
	return nil
}
func (f *memFile) Abort() {}

// reader reads entries below var/log/ into m.
func (m *memFiles) reader() *agentstream.Reader {
	m.kept = map[string][]byte{}
	return &agentstream.Reader{
		From:    "n1",
		Listing: func(names []string) { m.listing = names },
		Accept:  func(entry string) bool { return strings.HasPrefix(entry, "var/log/") && !strings.Contains(entry, "..") },
		Create:  func(entry string) (agentstream.File, error) { return &memFile{m: m, name: entry}, nil },
	}
}

// entry is one tar entry of a crafted stream: a file's part when part >=
// 0; cut ends the stream inside it.
type entry struct {
	name, body string
	part       int
	last       bool
	cut        bool
	size       int64 // declared size, when not the body's
}

func crafted(t *testing.T, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.size != 0 {
			h.Size = e.size
		}
		if e.part >= 0 {
			h.Format, h.PAXRecords = tar.FormatPAX, map[string]string{agentstream.RecordPart: strconv.Itoa(e.part)}
			if e.last {
				h.PAXRecords[agentstream.RecordLast] = "1"
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.cut || e.size != 0 {
			_, _ = io.WriteString(tw, e.body[:len(e.body)/2])
			return b.Bytes() // the stream breaks here
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A file's parts are one file; when the stream breaks, the whole members
// that arrived are kept, as a valid gzip file of the start (a file gzipped
// already is dropped: its pieces are valid only all together), and the
// break is the error; so is a stream without its end mark, an entry not
// accepted, one too big or out of order.
func TestRead(t *testing.T) {
	t.Parallel()
	const dir = "var/log/kube-apiserver/"
	listing := entry{name: agentstream.ListingName, body: dir + "audit.log\n" + dir + "audit-1.log.gz\n", part: -1}
	end := entry{name: agentstream.EndName, part: -1}
	tests := []struct {
		name        string
		entries     []entry
		wantFiles   map[string]string // entry -> decompressed
		wantListing []string
		wantErr     string
	}{
		{
			name: "whole",
			entries: []entry{
				listing,
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "a\n")},
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "b\n"), part: 1, last: true},
				{name: dir + "audit-1.log.gz", body: agentstreamtest.Gzip(t, "r1\n")},
				{name: dir + "audit-1.log.gz", body: agentstreamtest.Gzip(t, "r2\n"), part: 1, last: true},
				end,
			},
			wantFiles:   map[string]string{dir + "audit.log.gz": "a\nb\n", dir + "audit-1.log.gz": "r1\nr2\n"},
			wantListing: []string{dir + "audit.log", dir + "audit-1.log.gz"},
		},
		{
			name: "cut inside the second member of a file",
			entries: []entry{
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "a\n")},
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "b\n"), part: 1, last: true, cut: true},
			},
			wantFiles: map[string]string{dir + "audit.log.gz": "a\n"},
			wantErr:   "var/log/kube-apiserver/audit.log.gz of n1 cut short: unexpected EOF",
		},
		{
			name: "cut between the members of a file: the whole ones are kept",
			entries: []entry{
				{name: dir + "audit-1.log.gz", body: agentstreamtest.Gzip(t, "r1\n")},
				end, // no last part before it
			},
			wantFiles: map[string]string{dir + "audit-1.log.gz": "r1\n"},
			wantErr:   "var/log/kube-apiserver/audit-1.log.gz of n1 did not arrive whole: kept its first 1 parts",
		},
		{
			name: "cut between two files: no end mark",
			entries: []entry{
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "a\n"), last: true},
			},
			wantFiles: map[string]string{dir + "audit.log.gz": "a\n"},
			wantErr:   "the node agent's stream from n1 ended early",
		},
		{
			name: "a file the agent could not read to its end, then another",
			entries: []entry{
				{name: dir + "audit-1.log.gz", body: agentstreamtest.Gzip(t, "a\n")}, // no last part: a read error on the node
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "b\n"), last: true},
				end,
			},
			wantFiles: map[string]string{dir + "audit-1.log.gz": "a\n", dir + "audit.log.gz": "b\n"},
			wantErr:   "var/log/kube-apiserver/audit-1.log.gz of n1 did not arrive whole: kept its first 1 parts",
		},
		{
			name:    "not accepted",
			entries: []entry{{name: "etc/shadow.gz", body: agentstreamtest.Gzip(t, "x")}},
			wantErr: `unexpected entry "etc/shadow.gz" in the node agent's stream from n1`,
		},
		{
			name:    "too big",
			entries: []entry{{name: dir + "audit.log.gz", body: "xx", size: agentstream.MaxEntry + 1}},
			wantErr: fmt.Sprintf(`entry "var/log/kube-apiserver/audit.log.gz" of %d bytes in the node agent's stream from n1: at most %d expected`, agentstream.MaxEntry+1, agentstream.MaxEntry),
		},
		{
			name: "part out of order",
			entries: []entry{
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "a\n")},
				{name: dir + "audit.log.gz", body: agentstreamtest.Gzip(t, "c\n"), part: 2, last: true},
				end,
			},
			wantFiles: map[string]string{dir + "audit.log.gz": "a\n"},
			wantErr:   `entry "var/log/kube-apiserver/audit.log.gz" part 2 out of order in the node agent's stream from n1`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m memFiles
			err := m.reader().Read(bytes.NewReader(crafted(t, tc.entries)))
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
			got := map[string]string{}
			for name, b := range m.kept {
				plain, err := agentstreamtest.Gunzip(b)
				if err != nil {
					t.Errorf("%s: not a valid gzip file: %v", name, err)
				}
				got[name] = plain
			}
			if diff := cmp.Diff(tc.wantFiles, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantListing, m.listing, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

func lines(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s line %04d\n", prefix, i)
	}
	return b.String()
}

// liveAndRotated are a file of several chunks of 1024 bytes and a file
// gzipped on the node (its Content is what it holds: the agent reads it
// decompressed and sends it in members like any other), in var/log/a.
func liveAndRotated(t *testing.T) []agentstreamtest.File {
	t.Helper()
	return []agentstreamtest.File{
		{Name: "var/log/a/audit.log", Content: lines("audit", 300)},
		{Name: "var/log/a/audit-1.log.gz", Content: lines("rotated", 200)},
	}
}

// What the writer writes, the reader reads back: files of several chunks,
// a file gzipped on the node, an empty file; a file the writer could not
// read to its end keeps its whole chunks and the others go on.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	srcs := append(liveAndRotated(t),
		agentstreamtest.File{Name: "var/log/a/empty.log", Content: ""},
		agentstreamtest.File{Name: "var/log/a/broken.log", Content: lines("broken", 300), FailAfter: 2500},
		agentstreamtest.File{Name: "var/log/b/small.log", Content: "one line\n"},
	)
	rotated := srcs[1].Content
	const chunk = 1024
	stream, unread := agentstreamtest.Write(t, chunk, names(srcs), srcs...)
	if diff := cmp.Diff([]string{"reading var/log/a/broken.log: input/output error"}, errStrings(unread)); diff != "" {
		t.Errorf("read errors (-want +got):\n%s", diff)
	}
	var m memFiles
	err := m.reader().Read(bytes.NewReader(stream))
	if want := "var/log/a/broken.log.gz of n1 did not arrive whole: kept its first 2 parts"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	got := map[string]string{}
	for name, b := range m.kept {
		plain, err := agentstreamtest.Gunzip(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		got[name] = plain
	}
	want := map[string]string{
		"var/log/a/audit.log.gz":   srcs[0].Content,
		"var/log/a/audit-1.log.gz": rotated,
		"var/log/a/empty.log.gz":   "",
		"var/log/a/broken.log.gz":  srcs[3].Content[:2*chunk],
		"var/log/b/small.log.gz":   "one line\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(names(srcs), m.listing); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
}

// A stream cut anywhere, between entries or inside one, is an error; what
// is kept of each file is a valid gzip file of its start.
func TestRoundTripCut(t *testing.T) {
	t.Parallel()
	srcs := append(liveAndRotated(t), agentstreamtest.File{Name: "var/log/a/last.log", Content: lines("last", 100)})
	stream, _ := agentstreamtest.Write(t, 1024, names(srcs), srcs...)
	complete := map[string]string{} // by entry name
	for _, s := range srcs {
		complete[strings.TrimSuffix(s.Name, ".gz")+".gz"] = s.Content
	}
	// The stream is whole once the end mark's header is in (the tar
	// trailer after it carries nothing).
	endAt := bytes.Index(stream, []byte(agentstream.EndName+"\x00")) + 512
	seen := map[string]bool{}
	for cut := 0; cut < endAt; cut += 128 {
		var m memFiles
		err := m.reader().Read(bytes.NewReader(stream[:cut]))
		if err == nil {
			t.Fatalf("cut at %d of %d: no error", cut, len(stream))
		}
		for _, kind := range []string{"ended early", "cut short", "did not arrive whole"} {
			if strings.Contains(err.Error(), kind) {
				seen[kind] = true
			}
		}
		for name, b := range m.kept {
			plain, err := agentstreamtest.Gunzip(b)
			if err != nil || !strings.HasPrefix(complete[name], plain) {
				t.Errorf("cut at %d: %s is not a valid gzip file of its start (%v)", cut, name, err)
			}
		}
	}
	for _, kind := range []string{"ended early", "cut short", "did not arrive whole"} {
		if !seen[kind] {
			t.Errorf("no cut made a %q error: the cuts miss a case", kind)
		}
	}
	var m memFiles
	if err := m.reader().Read(bytes.NewReader(stream[:endAt])); err != nil {
		t.Errorf("the stream up to its end mark: %v", err)
	}
}

func errStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// names are the names of files, as the agent lists them.
func names(files []agentstreamtest.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

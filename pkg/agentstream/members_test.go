package agentstream_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/agentstream"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("input/output error") }

// Members sends a file's content as gzip members of at most a chunk of it
// each, under NAME.gz, or NAME for a file gzipped on the node (whose
// content, decompressed, it is given): the node agent's way, which redacts
// what it sends. A read error keeps the members written, the last one not
// marked.
func TestMembers(t *testing.T) {
	t.Parallel()
	const chunk = 8
	tests := []struct {
		name      string
		file      string
		src       io.Reader
		wantEntry string
		want      []string // each entry, decompressed, and its marks
		wantErr   string
	}{
		{name: "plain", file: "var/log/a/audit.log", src: strings.NewReader("0123456789abc"), wantEntry: "var/log/a/audit.log.gz",
			want: []string{"0/: 01234567", "1/1: 89abc"}},
		{name: "gzipped on the node", file: "var/log/a/audit-1.log.gz", src: strings.NewReader("0123456789abc"), wantEntry: "var/log/a/audit-1.log.gz",
			want: []string{"0/: 01234567", "1/1: 89abc"}},
		{name: "ends at a chunk's end", file: "var/log/a/x.log", src: strings.NewReader("01234567"), wantEntry: "var/log/a/x.log.gz",
			want: []string{"0/1: 01234567"}},
		{name: "empty", file: "var/log/a/empty.log", src: strings.NewReader(""), wantEntry: "var/log/a/empty.log.gz",
			want: []string{"0/1: "}},
		{name: "read error", file: "var/log/a/broken.log", src: io.MultiReader(strings.NewReader("0123456789"), failingReader{}), wantEntry: "var/log/a/broken.log.gz",
			want: []string{"0/: 01234567"}, wantErr: "reading var/log/a/broken.log: input/output error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			w := agentstream.NewWriterSize(&b, chunk)
			err := w.Members(tc.file, tc.src, time.Unix(1e9, 0))
			var se *agentstream.SourceError
			if tc.wantErr != "" && (!errors.As(err, &se) || err.Error() != tc.wantErr) || tc.wantErr == "" && err != nil {
				t.Errorf("error = %v, want %q (a *SourceError)", err, tc.wantErr)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var got []string
			tr := tar.NewReader(&b)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if h.Name == agentstream.EndName {
					continue
				}
				if h.Name != tc.wantEntry {
					t.Errorf("entry %q, want %q", h.Name, tc.wantEntry)
				}
				zr, err := gzip.NewReader(tr)
				if err != nil {
					t.Fatal(err)
				}
				zr.Multistream(false)
				plain, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, h.PAXRecords[agentstream.RecordPart]+"/"+h.PAXRecords[agentstream.RecordLast]+": "+string(plain))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

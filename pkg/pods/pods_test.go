package pods

import (
	"errors"
	"io"
	"testing"
)

// Pipe hands the stream on as it comes and returns what both ends say;
// a reader that stops early ends the writer too.
func TestPipe(t *testing.T) {
	t.Parallel()
	errRead := errors.New("read refused")
	tests := []struct {
		name      string
		write     func(io.Writer) error
		read      func(io.Reader) (string, error)
		wantRead  string
		wantErrIs []error
	}{
		{
			name:     "whole",
			write:    func(w io.Writer) error { _, err := io.WriteString(w, "stream"); return err },
			read:     func(r io.Reader) (string, error) { b, err := io.ReadAll(r); return string(b), err },
			wantRead: "stream",
		},
		{
			name: "writer fails after a part",
			write: func(w io.Writer) error {
				_, _ = io.WriteString(w, "part")
				return io.ErrUnexpectedEOF
			},
			read:      func(r io.Reader) (string, error) { b, err := io.ReadAll(r); return string(b), err },
			wantRead:  "part",
			wantErrIs: []error{io.ErrUnexpectedEOF},
		},
		{
			name: "reader stops early",
			write: func(w io.Writer) error {
				for {
					if _, err := io.WriteString(w, "more "); err != nil {
						return err
					}
				}
			},
			read: func(r io.Reader) (string, error) {
				b := make([]byte, 4)
				_, _ = io.ReadFull(r, b)
				return string(b), errRead
			},
			wantRead:  "more",
			wantErrIs: []error{errRead},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got string
			err := Pipe(tc.write, func(r io.Reader) error {
				var err error
				got, err = tc.read(r)
				return err
			})
			if got != tc.wantRead {
				t.Errorf("read %q, want %q", got, tc.wantRead)
			}
			if len(tc.wantErrIs) == 0 && err != nil {
				t.Errorf("error = %v", err)
			}
			for _, want := range tc.wantErrIs {
				if !errors.Is(err, want) {
					t.Errorf("error = %v, want it to wrap %v", err, want)
				}
			}
		})
	}
}

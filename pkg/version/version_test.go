package version

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteVersionFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		info    Info
		want    string
		wantErr bool
	}{
		{name: "release", info: Info{Product: "p", Version: "0.1.0"}, want: "p\n0.1.0\n"},
		{name: "dev build", info: Info{Product: "p", Version: "0.1.0-dev.1a2b3c4d"}, want: "p\n0.1.0-dev.1a2b3c4d\n"},
		{name: "default of an unstamped build", info: Info{Product: "p", Version: "0.0.0-unknown"}, want: "p\n0.0.0-unknown\n"},
		{name: "two fields only", info: Info{Product: "p", Version: "0.1"}, wantErr: true},
		{name: "leading v", info: Info{Product: "p", Version: "v0.1.0"}, wantErr: true},
		{name: "leading zero", info: Info{Product: "p", Version: "0.01.0"}, wantErr: true},
		{name: "empty qualifier", info: Info{Product: "p", Version: "0.1.0-"}, wantErr: true},
		{name: "no product", info: Info{Version: "0.1.0"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := tc.info.WriteVersionFile(&buf)
			if (err != nil) != tc.wantErr {
				t.Fatalf("WriteVersionFile() error = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if buf.Len() != 0 {
					t.Errorf("wrote %q despite the error", buf.String())
				}
				return
			}
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("version file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	if err := Get().Validate(); err != nil {
		t.Fatalf("the identity of this (test) build is invalid: %v", err)
	}
}

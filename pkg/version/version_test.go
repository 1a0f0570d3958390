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

// An image built on ours names its own product in the version file.
func TestProduct(t *testing.T) {
	t.Parallel()
	ours := Get()
	tests := []struct {
		name             string
		product, version string
		want             Info
		wantErr          string
	}{
		{name: "ours by default", want: ours},
		{name: "a derived image", product: "example-operator", version: "1.2.3", want: Info{Product: "example-operator", Version: "1.2.3", GitCommit: ours.GitCommit, Image: ours.Image}},
		{name: "a product without its version", product: "example-operator", wantErr: "$MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION name a product together: set both (an image's Dockerfile sets them with ENV)"},
		{name: "a version without its product", version: "1.2.3", wantErr: "$MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION name a product together: set both (an image's Dockerfile sets them with ENV)"},
		{name: "a version out of the grammar", product: "example-operator", version: "v1.2", wantErr: `$MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION: version "v1.2" is not major.minor.micro[-qualifier]`},
		{name: "a product of two lines", product: "a\nb", version: "1.2.3", wantErr: `$MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION: product name "a\nb" is not one line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{EnvProduct: tc.product, EnvVersion: tc.version}
			got, err := Product(func(k string) string { return env[k] })
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Product() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Product() (-want +got):\n%s", diff)
			}
		})
	}
}

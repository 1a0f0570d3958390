package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/must-gather/toolkit/pkg/cli"
)

func TestServeValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bundleDir := filepath.Join(dir, "must-gather")
	if err := os.Mkdir(bundleDir, 0o750); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		o       serveOptions
		wantErr bool
	}{
		{"defaults", serveOptions{bundle: bundleDir, address: "127.0.0.1"}, false},
		{"kubeconfig beside the bundle", serveOptions{bundle: bundleDir, address: "127.0.0.1", kubeconfigOut: filepath.Join(dir, "kc")}, false},
		{"kubeconfig inside the bundle", serveOptions{bundle: bundleDir, address: "127.0.0.1", kubeconfigOut: filepath.Join(bundleDir, "sub", "kc")}, true},
		{"no bundle", serveOptions{bundle: filepath.Join(dir, "nope"), address: "127.0.0.1"}, true},
		{"bad address", serveOptions{bundle: bundleDir, address: "localhost:1"}, true},
		{"bad port", serveOptions{bundle: bundleDir, address: "127.0.0.1", port: 70000}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.o.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil && !errors.As(err, new(cli.UsageError)) {
				t.Errorf("Validate() = %v, want a usage error", err)
			}
		})
	}
}

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

func TestProfiling(t *testing.T) {
	tests := []struct {
		name     string
		wantFile bool
		wantErr  bool
	}{
		{name: "none"},
		{name: "cpu", wantFile: true},
		{name: "heap", wantFile: true},
		{name: "goroutine", wantFile: true},
		{name: "mutex", wantFile: true},
		{name: "bogus", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.pprof")
			var p Profiling
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			p.AddFlags(fs)
			if err := fs.Parse([]string{"--profile", tc.name, "--profile-output", out}); err != nil {
				t.Fatal(err)
			}
			err := p.Start()
			if tc.wantErr {
				if err == nil || ExitCode(err) != ExitUsage {
					t.Fatalf("Start() = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if !tc.wantFile {
				if err == nil {
					t.Errorf("--profile none wrote %s", out)
				}
				return
			}
			// pprof's protobuf format is gzipped.
			if err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
				t.Errorf("profile %s: %v, %d bytes, want a gzipped pprof profile", out, err, len(b))
			}
		})
	}
}

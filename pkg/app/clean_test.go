package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
)

func TestCleanUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bundleDir := filepath.Join(dir, "must-gather")
	full := filepath.Join(dir, "full")
	for _, d := range []string{bundleDir, full, filepath.Join(dir, "empty")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // a part of the error, "" for none
	}{
		{"no out", []string{bundleDir}, "--out is required"},
		{"out not empty", []string{bundleDir, "--out", full}, "exists and is not empty"},
		{"out inside the bundle", []string{bundleDir, "--out", filepath.Join(bundleDir, "c")}, "inside one another"},
		{"mapping inside out", []string{bundleDir, "--out", filepath.Join(dir, "c"), "--mapping", filepath.Join(dir, "c", "m.json")}, "is inside --out"},
		{"bad domain", []string{bundleDir, "--out", filepath.Join(dir, "c"), "--domain", "a b"}, "want a DNS name"},
		{"pseudonym domain", []string{bundleDir, "--out", filepath.Join(dir, "c"), "--domain", "x.example.invalid"}, "the pseudonyms are under example.invalid"},
		{"domain above the pseudonyms", []string{bundleDir, "--out", filepath.Join(dir, "c"), "--domain", "Invalid."}, "the pseudonyms are under example.invalid"},
		{"no bundle", []string{filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "c")}, "not a readable folder"},
		{"empty out", []string{bundleDir, "--out", filepath.Join(dir, "empty"), "--mapping", filepath.Join(dir, "m.json")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := Run(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, append([]string{"clean"}, tt.args...))
			got := ""
			if err != nil {
				got = err.Error()
				if cli.ExitCode(err) != cli.ExitUsage {
					t.Errorf("exit code %d, want %d", cli.ExitCode(err), cli.ExitUsage)
				}
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("error %q, want one with %q", got, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "empty"+reportSuffix)); err != nil {
		t.Errorf("no report beside the empty out: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "m.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mapping: %v, %v", fi, err)
	}
}

// A bundle with a file that cannot be cleaned: exit 3, the rest, the
// mapping and the report written.
func TestCleanPartial(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "must-gather")
	if err := os.MkdirAll(src, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"a.log": "from 10.3.0.1\n", "b.log.gz": "not gzip\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "clean")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}, []string{"clean", src, "--out", out})
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d\n%s%s", code, cli.ExitPartial, &stdout, &stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "a.log")); err != nil || string(b) != "from 198.18.0.1\n" {
		t.Errorf("a.log: %q, %v", b, err)
	}
	for _, f := range []string{out + mappingSuffix, out + reportSuffix} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	if !strings.Contains(stdout.String(), "ipv4 1") || !strings.Contains(stdout.String(), "error: cleaning b.log.gz") {
		t.Errorf("stdout lacks the counts or the error:\n%s", &stdout)
	}
}

// An OUT ending in .tar.gz is written as an archive of the cleaned files,
// under its name, with the mapping and report beside it.
func TestCleanToArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "must-gather")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "a.log"), []byte("from 10.3.0.1 at db.corp.test\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "clean.tar.gz")
	args := []string{"clean", src, "--out", out, "--domain", "corp.test"}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}, args); code != 0 {
		t.Fatalf("exit code %d\n%s%s", code, &stdout, &stderr)
	}
	b, err := bundle.Open(t.Context(), out, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := fs.ReadFile(b, "sub/a.log")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "from 198.18.0.1 at host-1.domain-1.example.invalid\n" {
		t.Errorf("sub/a.log = %q", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"clean.clean-report.json", "clean.mapping.json", "clean.tar.gz", "must-gather"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("beside the archive: %v, want %v (the work folder removed)", names, want)
	}
	// Again: the archive exists.
	if code := Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}, args); code != cli.ExitUsage {
		t.Errorf("second run: exit code %d, want %d", code, cli.ExitUsage)
	}
}

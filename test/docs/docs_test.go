package docs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	doc := "# Title\n\n" +
		"```sh\n" +
		"make run    # build, then gather\n" +
		"# a comment line\n" +
		"\n" +
		"podman run --rm -v ./a:/a:Z \\\n" +
		"  -e X='#not a comment' image   # trailing comment\n" +
		"```\n" +
		"Prose with `make inline` is not a command.\n" +
		"```\n" +
		"gather [--dest-dir DIR]   (a synopsis, not sh)\n" +
		"```\n" +
		"```json\n{\"a\": 1}\n```\n" +
		"```sh\n" +
		"echo \"a # b\" && true\n" +
		"```\n"
	if err := os.WriteFile(filepath.Join(dir, "doc.md"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(dir, "doc.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{File: "doc.md", Line: 4, Text: "make run"},
		{File: "doc.md", Line: 7, Text: "podman run --rm -v ./a:/a:Z -e X='#not a comment' image"},
		{File: "doc.md", Line: 18, Text: `echo "a # b" && true`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if _, err := Find(dir, "doc.md", "podman run"); err != nil {
		t.Error(err)
	}
	if _, err := Find(dir, "doc.md", "kubectl"); err == nil {
		t.Error("Find of a command the document lacks succeeded")
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	doc := "```sh\nmake image\nmake image-ubi\nmake image-ubi UBI_LOCAL=1\nmake release X=1\n```\n"
	if err := os.WriteFile(filepath.Join(dir, "doc.md"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix  string
		want    string
		wantErr bool
	}{
		{prefix: "make image", want: "make image"},         // exact among longer ones
		{prefix: "make image-ubi", want: "make image-ubi"}, // likewise
		{prefix: "make image-ubi U", want: "make image-ubi UBI_LOCAL=1"},
		{prefix: "make release", want: "make release X=1"}, // one: a prefix suffices
		{prefix: "make image-", wantErr: true},             // two, none exact
		{prefix: "make test", wantErr: true},               // none
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			got, err := Find(dir, "doc.md", tt.prefix)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Find(%q) error = %v, wantErr %v", tt.prefix, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got.Text); diff != "" {
				t.Errorf("Find(%q) (-want +got):\n%s", tt.prefix, diff)
			}
		})
	}
}

func TestParseRefusesAnOpenBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.md"), []byte("```sh\nmake run \\\n```\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(dir, "doc.md"); err == nil {
		t.Error("a block ending inside a continued command was accepted")
	}
}

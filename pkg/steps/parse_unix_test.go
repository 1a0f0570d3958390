//go:build unix

package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Hostile step files: each bad line or file is an error naming the file
// and the line; the lines after a bad one are read, and nothing blocks.
func TestLoadHostile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	huge := "inspect " + strings.Repeat("x", maxStepLine)
	files := map[string]string{
		"10-lines": "inspect ns/a\n" + huge + "\ninspect \xff\xfe\n\x00\nunknown-command a b\ninspect a | b\ninspect ns/b\r\n",
		"20-big":   strings.Repeat("# comment\n", maxStepFile/10+1),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "30-a-directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "40-fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "50-dangling")); err != nil {
		t.Fatal(err)
	}
	steps, _, err := Load(os.DirFS(dir), Vars{}, ExecutableIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{
		{Name: "10-lines:1", Args: []string{"inspect", "ns/a"}},
		{Name: "10-lines:2", Err: fmt.Sprintf("10-lines line 2: %d bytes long, at most %d", len(huge), maxStepLine)},
		{Name: "10-lines:3", Err: `10-lines line 3: not valid UTF-8: "inspect \xff\xfe"`},
		{Name: "10-lines:4", Args: []string{"\x00"}}, // text: the built-in's name is checked when it runs
		{Name: "10-lines:5", Args: []string{"unknown-command", "a", "b"}},
		{Name: "10-lines:6", Err: `10-lines line 6: unquoted "|" at column 11: pipes, redirections and command lists are not supported (quote it to pass it as text)`},
		{Name: "10-lines:7", Args: []string{"inspect", "ns/b"}},
		{Name: "20-big", Err: fmt.Sprintf("20-big is %d bytes: a text step file holds at most %d", len(files["20-big"]), maxStepFile)},
		{Name: "30-a-directory", Err: "30-a-directory is a directory, not a step file"},
		{Name: "40-fifo", Err: "40-fifo is not a regular file (p---------)"},
		{Name: "50-dangling", Err: "reading 50-dangling: stat 50-dangling: no such file or directory"},
	}
	if diff := cmp.Diff(want, summarize(steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// Several folders run one after the other; with more than one, each step's
// name says its folder, so both may hold 10-inspect.

// Package docs reads the shell commands the README and docs/ show, so tests
// run them as written: a test asks for a command by its text, and a change
// to the docs changes what the test runs.
package docs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Command is one command of a ```sh block: continuation lines joined,
// comments dropped.
type Command struct {
	File string // relative to the repository root
	Line int    // where the command starts
	Text string
}

func (c Command) String() string { return fmt.Sprintf("%s:%d: %s", c.File, c.Line, c.Text) }

// Files are the documents whose commands count: the README, BENCHMARKS.md,
// docs/ and the gather.d README.
func Files(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "BENCHMARKS.md"), filepath.Join(root, "gather.d", "README.md"))
	for i, f := range files {
		if files[i], err = filepath.Rel(root, f); err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// All returns every command of every document, in file and line order.
func All(root string) ([]Command, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	var all []Command
	for _, f := range files {
		cmds, err := Parse(root, f)
		if err != nil {
			return nil, err
		}
		all = append(all, cmds...)
	}
	return all, nil
}

// Parse returns the commands of the ```sh blocks of one document.
func Parse(root, file string) ([]Command, error) {
	f, err := os.Open(filepath.Join(root, file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		cmds    []Command
		inBlock bool
		cur     *Command
	)
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		if strings.HasPrefix(line, "```") {
			if inBlock && cur != nil {
				return nil, fmt.Errorf("%s:%d: the block ends inside a continued command", file, n)
			}
			inBlock = !inBlock && strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh"
			continue
		}
		if !inBlock {
			continue
		}
		text := strings.TrimSpace(stripComment(line))
		if text == "" && cur == nil {
			continue
		}
		more := strings.HasSuffix(text, "\\")
		text = strings.TrimSpace(strings.TrimSuffix(text, "\\"))
		if cur == nil {
			cur = &Command{File: file, Line: n, Text: text}
		} else if text != "" {
			cur.Text += " " + text
		}
		if !more {
			cmds = append(cmds, *cur)
			cur = nil
		}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if inBlock {
		return nil, fmt.Errorf("%s: a ```sh block is not closed", file)
	}
	return cmds, nil
}

// stripComment drops a # comment that starts a line or follows a blank,
// outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

// Find returns the one command of file whose text starts with prefix; of
// several, the one whose text is prefix exactly (`make image` among
// `make image-ubi` and `make image-archive`).
func Find(root, file, prefix string) (Command, error) {
	cmds, err := Parse(root, file)
	if err != nil {
		return Command{}, err
	}
	var found, exact []Command
	for _, c := range cmds {
		if strings.HasPrefix(c.Text, prefix) {
			found = append(found, c)
		}
		if c.Text == prefix {
			exact = append(exact, c)
		}
	}
	if len(found) > 1 && len(exact) == 1 {
		return exact[0], nil
	}
	if len(found) != 1 {
		return Command{}, fmt.Errorf("%s: %d commands start with %q, want exactly one", file, len(found), prefix)
	}
	return found[0], nil
}

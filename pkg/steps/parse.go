package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// Step is one unit of a run: a command line of a text step file, or a whole
// executable step file.
type Step struct {
	// File is the step file's name, e.g. "10-inspect".
	File string
	// Folder is the gather.d folder the file is in, set only when a run
	// reads several (LoadFolders): two folders may both hold 10-inspect.
	Folder string
	// Line is the 1-based line of the command in a text file; 0 for an
	// executable.
	Line int
	// Text is the line as written (or the program's path).
	Text string
	// Args is the built-in's name and arguments.
	Args []string
	// Program is the path of an executable step file ("" for built-ins).
	Program string
	// Timeout overrides the default share of the run's time ("timeout 5m
	// inspect ..."); 0 means the default.
	Timeout time.Duration
	// Err is why the line could not be parsed; the step is then recorded
	// as failed and not run.
	Err error
}

// Name identifies the step in the manifest and the log: the file (in its
// folder when a run reads several), and for a text file the line.
func (s Step) Name() string {
	name := s.Path()
	if s.Line == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d", name, s.Line)
}

// Path is the step file's name, in its folder when a run reads several.
func (s Step) Path() string {
	if s.Folder == "" {
		return s.File
	}
	return path.Join(s.Folder, s.File)
}

// Folder is one gather.d folder of a run.
type Folder struct {
	FS fs.FS
	// Name says where the folder is: its path, or "built-in".
	Name string
	// Exec reports the executable programs of the folder (nil for an
	// embedded one); see ExecutableIn.
	Exec func(fs.DirEntry) (string, bool)
}

// LoadFolders reads the steps of several gather.d folders, one folder after
// the other, each in lexical order (so an image built on ours runs its
// steps after ours, or instead of them). With more than one folder, each
// step's name starts with its folder's name.
func LoadFolders(folders []Folder, vars Vars) ([]Step, []string, error) {
	var all []Step
	var warnings []string
	for _, f := range folders {
		list, warns, err := Load(f.FS, vars, f.Exec)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gather.d folder %s: %w", f.Name, err)
		}
		if len(folders) > 1 {
			for i := range list {
				list[i].Folder = f.Name
			}
			for i := range warns {
				warns[i] = f.Name + ": " + warns[i]
			}
		}
		all, warnings = append(all, list...), append(warnings, warns...)
	}
	return all, warnings, nil
}

// stepName is how a step file must be named: NN-name.
var stepName = regexp.MustCompile(`^[0-9]+-[A-Za-z0-9._-]+$`)

// ignored reports files that are never steps: dotfiles, documentation, and
// the backup files editors and package managers leave.
func ignored(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, suffix := range []string{".md", ".bak", ".orig", ".rpmnew", ".rpmsave", ".swp"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return strings.Contains(name, ".dpkg-")
}

// Vars is the allow-list of environment variables a step line may use, with
// their values for this run. Any other $VAR is an error.
type Vars map[string]string

// AllowedVars names the variables a step line may expand.
var AllowedVars = []string{"MUST_GATHER_SINCE", "MUST_GATHER_SINCE_TIME", "NODE_NAME", "POD_NAME", "POD_NAMESPACE"}

// Load reads the steps of a gather.d folder in lexical order of file name.
// exec reports whether a file is an executable program (never true for an
// embedded folder). Problems with a single line become that step's Err;
// the error returned is for the folder as a whole.
func Load(fsys fs.FS, vars Vars, exec func(fs.DirEntry) (string, bool)) ([]Step, []string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var steps []Step
	var warnings []string
	for _, e := range entries {
		name := e.Name()
		if ignored(name) {
			continue
		}
		if !stepName.MatchString(name) {
			if !e.IsDir() {
				warnings = append(warnings, fmt.Sprintf("ignoring %s: a step file is named NN-name", name))
			}
			continue
		}
		if err := stepFile(fsys, name); err != nil {
			steps = append(steps, Step{File: name, Err: err})
			continue
		}
		if exec != nil {
			if prog, ok := exec(e); ok {
				steps = append(steps, Step{File: name, Text: prog, Program: prog})
				continue
			}
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			steps = append(steps, Step{File: name, Err: fmt.Errorf("reading %s: %w", name, err)})
			continue
		}
		steps = append(steps, parseFile(name, string(b), vars)...)
	}
	return steps, warnings, nil
}

// Bounds of a text step file: its lines are commands.
const (
	maxStepFile = 1 << 20
	maxStepLine = 64 << 10
)

// stepFile says why the file name (its links followed) cannot be a step:
// it cannot be read, is a directory, not a regular file (a FIFO would
// block the run), or is too big.
func stepFile(fsys fs.FS, name string) error {
	info, err := fs.Stat(fsys, name)
	switch {
	case err != nil:
		return fmt.Errorf("reading %s: %w", name, err)
	case info.IsDir():
		return fmt.Errorf("%s is a directory, not a step file", name)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
	case info.Size() > maxStepFile && info.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is %d bytes: a text step file holds at most %d", name, info.Size(), maxStepFile)
	}
	return nil
}

// ExecutableIn reports the executable regular files of the real folder dir,
// for Load.
func ExecutableIn(dir string) func(fs.DirEntry) (string, bool) {
	return func(e fs.DirEntry) (string, bool) {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			return "", false
		}
		return filepath.Join(dir, e.Name()), true
	}
}

func parseFile(file, text string, vars Vars) []Step {
	var steps []Step
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		st := Step{File: file, Line: n + 1, Text: line}
		switch {
		case len(line) > maxStepLine:
			st.Text = line[:64] + "..."
			st.Err = fmt.Errorf("%s line %d: %d bytes long, at most %d", file, n+1, len(line), maxStepLine)
		case !utf8.ValidString(line):
			st.Text = strconv.Quote(line)
			st.Err = fmt.Errorf("%s line %d: not valid UTF-8: %s", file, n+1, st.Text)
		default:
			st.Args, st.Timeout, st.Err = ParseLine(line, vars)
			if st.Err != nil {
				st.Err = fmt.Errorf("%s line %d: %w", file, n+1, st.Err)
			}
		}
		steps = append(steps, st)
	}
	return steps
}

// ParseLine splits one command line like a shell would, without running
// anything: quotes and escapes work, $VAR expands only from vars, `...` and
// $(...) stay literal text, and an unquoted ; & | < > is an error (a shell
// would run or redirect something there). A leading "timeout DURATION"
// sets the step's own budget.
func ParseLine(line string, vars Vars) ([]string, time.Duration, error) {
	var bad []string
	p := shellwords.NewParser()
	p.ParseEnv = true
	p.ParseBacktick = false
	p.ParseComment = true
	p.Getenv = func(name string) string {
		v, ok := vars[name]
		if !ok {
			bad = append(bad, "$"+name)
		}
		return v
	}
	args, err := p.Parse(line)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %q", err, line)
	}
	if p.Position >= 0 {
		// Position is where the parser stopped: the operator, or the fd
		// number of a redirection such as 2>.
		r := []rune(line)
		col := p.Position
		for col < len(r) && !strings.ContainsRune(";&|<>", r[col]) {
			col++
		}
		op := "end of line"
		if col < len(r) {
			op = string(r[col])
		}
		return nil, 0, fmt.Errorf("unquoted %q at column %d: pipes, redirections and command lists are not supported (quote it to pass it as text)", op, col+1)
	}
	if len(bad) > 0 {
		return nil, 0, fmt.Errorf("variable %s is not allowed (allowed: %s)", strings.Join(bad, ", "), strings.Join(AllowedVars, ", "))
	}
	var timeout time.Duration
	if len(args) > 0 && args[0] == "timeout" {
		if len(args) < 3 {
			return nil, 0, errors.New("timeout needs a duration and a command: timeout 5m inspect ...")
		}
		timeout, err = time.ParseDuration(args[1])
		if err != nil || timeout <= 0 {
			return nil, 0, fmt.Errorf("timeout %q is not a positive duration like 90s or 5m", args[1])
		}
		args = args[2:]
	}
	if len(args) == 0 {
		return nil, 0, errors.New("empty command")
	}
	return args, timeout, nil
}

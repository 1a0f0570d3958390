package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseSeeds are lines a gather.d file may hold, good and bad.
var parseSeeds = []string{
	"inspect clusteroperators",
	`inspect --dest-dir "a dir" 'b c' d\ e`,
	"node-logs --since $MUST_GATHER_SINCE --node ${NODE_NAME}",
	"inspect $HOME",
	"inspect `rm -rf /` $(reboot)",
	"inspect a; reboot",
	"inspect a 2>/dev/null",
	"inspect a | tee x && b || c",
	`inspect "a;b" 'c|d' e\&f`,
	`inspect "abc`,
	"inspect ns/a # the namespace",
	"timeout 90s inspect clusteroperators",
	"timeout -1s inspect x",
	"timeout 5m",
	"\xff\xfe inspect \x00 \u00e9",
	`inspect "$`,
	`inspect \`,
	"${MUST_GATHER_SINCE:-x}",
}

// FuzzParseLine: ParseLine never panics; what it accepts is a non-empty
// command that parses back to itself once each word is quoted, and expands
// no variable beyond those allowed.
func FuzzParseLine(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	vars := Vars{"MUST_GATHER_SINCE": "2h", "NODE_NAME": "node-a"}
	f.Fuzz(func(t *testing.T, line string) {
		args, timeout, err := ParseLine(line, vars)
		if err != nil {
			if args != nil || timeout != 0 {
				t.Fatalf("ParseLine(%q) = %q, %v with error %v", line, args, timeout, err)
			}
			return
		}
		if len(args) == 0 {
			t.Fatalf("ParseLine(%q) accepted an empty command", line)
		}
		if timeout < 0 {
			t.Fatalf("ParseLine(%q): negative timeout %v", line, timeout)
		}
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		again, _, err := ParseLine(strings.Join(quoted, " "), vars)
		if err != nil {
			t.Fatalf("ParseLine(%q) = %q, which quoted does not parse: %v", line, args, err)
		}
		if diff := cmp.Diff(args, again); diff != "" {
			t.Fatalf("ParseLine(%q) quoted and parsed again (-first +again):\n%s", line, diff)
		}
	})
}

// FuzzParseFile: a step file of any content gives steps that name their
// file and a line that exists, and an error for each line it refuses that
// names the file and the line.
func FuzzParseFile(f *testing.F) {
	f.Add(strings.Join(parseSeeds, "\n"))
	f.Add("# comment\n\n  inspect a  \r\nversion\r\n")
	f.Add("inspect " + strings.Repeat("x", 200) + "\nversion\n")
	f.Add("a\x00b\n\xc3\x28\nok\n")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Count(text, "\n") + 1
		for _, s := range parseFile("10-f", text, Vars{}) {
			if s.File != "10-f" {
				t.Fatalf("step %+v: file %q", s, s.File)
			}
			if s.Line < 1 || s.Line > lines {
				t.Fatalf("step %+v: line %d of a file of %d lines", s, s.Line, lines)
			}
			if s.Err == nil {
				if len(s.Args) == 0 {
					t.Fatalf("step %+v: no error and no command", s)
				}
				continue
			}
			if prefix := "10-f line "; !strings.HasPrefix(s.Err.Error(), prefix) {
				t.Fatalf("step %s: error %q does not start with %q", s.Name(), s.Err, prefix)
			}
		}
	})
}

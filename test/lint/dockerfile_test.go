package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// repoRoot is two levels up from test/lint.
const repoRoot = "../.."

// requiredLabels must be set on the final stage of every image.
var requiredLabels = []string{
	"org.opencontainers.image.title",
	"org.opencontainers.image.version",
	"org.opencontainers.image.revision",
	"org.opencontainers.image.source",
}

func containerfiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"Dockerfile", "Containerfile*"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatal("no Dockerfile or Containerfile at the repository root")
	}
	return out
}

// lint returns every problem BuildKit's parser and linter report, plus our
// own rules: every FROM names its image through an ARG (so it can be built
// here from local images), and the final stage carries the OCI labels.
func lint(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	var problems []string
	for _, w := range res.Warnings {
		problems = append(problems, fmt.Sprintf("line %d: %s", w.Location.Start.Line, w.Short))
	}
	lnt := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		problems = append(problems, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lnt)
	if err != nil {
		return append(problems, "instructions: "+err.Error())
	}
	args := map[string]bool{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			args[kv.Key] = true
		}
	}
	stageNames := map[string]bool{}
	for _, s := range stages {
		base := s.BaseName
		switch {
		case stageNames[strings.ToLower(base)]:
		case strings.HasPrefix(base, "${") && strings.HasSuffix(base, "}") && args[strings.TrimSuffix(strings.TrimPrefix(base, "${"), "}")]:
		case strings.HasPrefix(base, "$") && args[strings.TrimPrefix(base, "$")]:
		default:
			problems = append(problems, fmt.Sprintf("FROM %s: name the base image through an ARG declared before the first FROM", base))
		}
		if s.Name != "" {
			stageNames[strings.ToLower(s.Name)] = true
		}
	}
	final := stages[len(stages)-1]
	labels := map[string]bool{}
	for _, c := range final.Commands {
		if l, ok := c.(*instructions.LabelCommand); ok {
			for _, kv := range l.Labels {
				labels[kv.Key] = true
			}
		}
	}
	for _, l := range requiredLabels {
		if !labels[l] {
			problems = append(problems, "final stage lacks LABEL "+l)
		}
	}
	return problems
}

func TestContainerfiles(t *testing.T) {
	for _, path := range containerfiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if diff := cmp.Diff([]string(nil), lint(t, path)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// The lint must find what it is there to find.
func TestLintCatchesProblems(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "Dockerfile")
	text := "FROM debian:bookworm-slim as Build\nFROM build\nMAINTAINER someone\n"
	if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lint(t, bad), "\n")
	for _, want := range []string{
		"StageNameCasing", "FromAsCasing", "MaintainerDeprecated",
		"FROM debian:bookworm-slim: name the base image through an ARG",
		"final stage lacks LABEL org.opencontainers.image.version",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lint of a bad Dockerfile misses %q; it reported:\n%s", want, got)
		}
	}
}

// The build context never carries the test cluster's state (its PKI and
// kubeconfig live in _output/cluster).
func TestIgnoreFiles(t *testing.T) {
	for _, name := range []string{".containerignore", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines := strings.Split(string(b), "\n")
		if !containsLine(lines, "*") {
			t.Errorf("%s does not start from excluding everything (*)", name)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "!") && (strings.Contains(l, "_output/cluster") || strings.TrimSpace(l) == "!_output" || strings.TrimSpace(l) == "!_output/") {
				t.Errorf("%s lets %q into the build context", name, l)
			}
		}
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

package docs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// account says of one documented command who runs it as written, or why it
// cannot run here.
type account struct {
	// runBy are the lines ("path:line", from the repository root) that
	// fetch the command's text from its document and run it: a Go test's
	// documented(t, "FILE", "PREFIX") or a script's documented FILE 'PREFIX'
	// (run_documented likewise).
	runBy []string
	// notHere says why the command cannot run on this machine.
	notHere string
}

// accounts is the table, keyed by the exact text of each command of the
// ```sh blocks of README.md, docs/*.md and gather.d/README.md (continuation
// lines joined, comments dropped). A text several documents show has one
// entry.
func accounts() map[string]account {
	return map[string]account{
		// README.md
		"make run":  {runBy: []string{"test/e2e/docs_test.go:152"}}, // with a kubeconfig and without one (the running test cluster)
		"make test": {runBy: []string{".ci/run:17"}},
		"oc adm must-gather --image=quay.io/must-gather/must-gather-toolkit:v0.1.0": {
			notHere: "oc is not available here (and there is no OpenShift cluster); test/e2e TestImageAsOcMustGather runs the image in a pod the way oc adm must-gather does"},
		"mkdir -p must-gather": {runBy: []string{"test/e2e/image_offline_test.go:95"}}, // README.md and docs/image.md
		"podman run --rm --network=host -v ./kubeconfig:/kubeconfig:Z -e KUBECONFIG=/kubeconfig -v ./must-gather:/must-gather:Z quay.io/must-gather/must-gather-toolkit:v0.1.0": {
			runBy: []string{"test/e2e/image_offline_test.go:96"}}, // README.md and docs/image.md; hack/image-test.sh runs the test
		"_output/bin/gather --dest-dir ./must-gather": {runBy: []string{"test/e2e/docs_test.go:233"}},

		// docs/development.md
		"make build && _output/bin/gather version": {runBy: []string{"test/e2e/docs_test.go:137"}},
		"make verify":    {runBy: []string{".ci/run:15"}},
		"make test-unit": {runBy: []string{".ci/run:16"}},
		"make help":      {runBy: []string{"test/e2e/docs_test.go:124"}},

		// docs/image.md
		"make image": {runBy: []string{"hack/image-test.sh:67"}},
		"make image-ubi": {
			notHere: "its builder and base come from registry.access.redhat.com, which is not reachable here; hack/image-test.sh runs the offline form the same page gives (UBI_LOCAL=1)"},
		"make image-archive": {runBy: []string{"hack/image-test.sh:70"}},
		"make cluster-load-image ARCHIVE=_output/image.tar": {runBy: []string{"hack/image-test.sh:100"}}, // docs/image.md and docs/test-cluster.md
		"make release": {
			notHere: "pushes to the public registry quay.io/must-gather; hack/image-test.sh runs the loopback form the same page gives"},
		"make release REGISTRY=127.0.0.1:5000/test PUSH_ARGS=--tls-verify=false": {runBy: []string{"hack/image-test.sh:125"}},
		"make image-ubi UBI_BUILDER=localhost/must-gather-base:busybox UBI_BASE=localhost/must-gather-base:busybox UBI_LOCAL=1": {
			runBy: []string{"hack/image-test.sh:79", "hack/image-test.sh:81"}},

		// docs/test-cluster.md
		"make cluster-up":                {runBy: []string{"hack/test.sh:79"}}, // at the end, when it started the cluster itself
		"make cluster-up CLUSTER_NODE=1": {runBy: []string{"hack/test.sh:43"}},
		"make cluster-status":            {runBy: []string{"hack/test.sh:45", "hack/test.sh:80", "test/e2e/docs_test.go:183"}},
		"make cluster-stop-kubelet":      {runBy: []string{"test/e2e/docs_test.go:262"}},
		"make cluster-start-kubelet":     {runBy: []string{"test/e2e/docs_test.go:269"}},
		"make cluster-down":              {runBy: []string{"hack/test.sh:73", "hack/test.sh:88"}},
	}
}

// Every command the docs show is run as written by a named test or script,
// or the table says why it cannot run here; no entry outlives its command.
func TestEveryCommandIsAccountedFor(t *testing.T) {
	const root = "../.."
	all, err := All(root)
	if err != nil {
		t.Fatal(err)
	}
	table := accounts()
	var shown, entries []string
	where := map[string][]string{}
	for _, c := range all {
		if _, ok := where[c.Text]; !ok {
			shown = append(shown, c.Text)
		}
		where[c.Text] = append(where[c.Text], fmt.Sprintf("%s:%d", c.File, c.Line))
	}
	for text := range table {
		entries = append(entries, text)
	}
	sort.Strings(shown)
	sort.Strings(entries)
	if diff := cmp.Diff(shown, entries); diff != "" {
		t.Errorf("the docs' commands (-) against the table's entries (+): a command without an entry must say who runs it as written or why it cannot run here; an entry whose command no document shows any more goes:\n%s", diff)
		for _, text := range shown {
			if _, ok := table[text]; !ok {
				t.Errorf("%s: %q has no entry", strings.Join(where[text], ", "), text)
			}
		}
	}

	for _, text := range entries {
		a := table[text]
		if (len(a.runBy) == 0) == (a.notHere == "") {
			t.Errorf("%q: the entry must name its runners or say why it cannot run here, not both or neither", text)
			continue
		}
		for _, ref := range a.runBy {
			got, err := fetchedAt(root, ref)
			if err != nil {
				path, _, _ := strings.Cut(ref, ":")
				t.Errorf("%q: runner %s: %v (%s fetches it at lines %v)", text, ref, err, path, fetchLines(root, path, text))
				continue
			}
			if diff := cmp.Diff(text, got); diff != "" {
				t.Errorf("runner %s fetches another command than its entry's (-entry +fetched):\n%s", ref, diff)
			}
		}
	}
}

// fetch matches a runner's fetch of a documented command: a Go test's
// documented(t, "FILE", "PREFIX") or a script's documented FILE 'PREFIX'.
var fetch = regexp.MustCompile(`documented\(t, "([^"]+)", "([^"]+)"\)|documented ([^ '"]+) '([^']+)'`)

// fetchedAt returns the text of the command that the line ref
// ("path:line") fetches from its document.
func fetchedAt(root, ref string) (string, error) {
	path, n, ok := strings.Cut(ref, ":")
	line, err := strconv.Atoi(n)
	if !ok || err != nil {
		return "", fmt.Errorf("want path:line")
	}
	f, err := os.Open(filepath.Join(root, path))
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for i := 1; s.Scan(); i++ {
		if i < line {
			continue
		}
		doc, prefix, ok := fetchOf(s.Text())
		if !ok {
			return "", fmt.Errorf("line %d fetches no documented command: %q", line, strings.TrimSpace(s.Text()))
		}
		c, err := Find(root, doc, prefix)
		if err != nil {
			return "", err
		}
		return c.Text, nil
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no line %d", path, line)
}

// fetchLines returns the lines of path that fetch the command text, to say
// where a runner moved.
func fetchLines(root, path, text string) []int {
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil
	}
	var lines []int
	for i, l := range strings.Split(string(b), "\n") {
		if doc, prefix, ok := fetchOf(l); ok {
			if c, err := Find(root, doc, prefix); err == nil && c.Text == text {
				lines = append(lines, i+1)
			}
		}
	}
	return lines
}

// fetchOf returns the document and prefix a line fetches.
func fetchOf(line string) (doc, prefix string, ok bool) {
	m := fetch.FindStringSubmatch(line)
	switch {
	case m == nil:
		return "", "", false
	case m[1] != "":
		return m[1], m[2], true
	default:
		return m[3], m[4], true
	}
}

func TestFetchOf(t *testing.T) {
	tests := []struct {
		line   string
		doc    string
		prefix string
		ok     bool
	}{
		{line: `	run := documented(t, "README.md", "make run")`, doc: "README.md", prefix: "make run", ok: true},
		{line: `run_documented docs/image.md 'make image' >/dev/null || fail "make image"`, doc: "docs/image.md", prefix: "make image", ok: true},
		{line: `  status=$(documented docs/test-cluster.md 'make cluster-status')`, doc: "docs/test-cluster.md", prefix: "make cluster-status", ok: true},
		{line: `make -s image SESSION_TOOLS=1 IMAGE=$variant`},
		{line: `# documented FILE PREFIX prints the one command`},
	}
	for _, tt := range tests {
		doc, prefix, ok := fetchOf(tt.line)
		if diff := cmp.Diff([]any{tt.doc, tt.prefix, tt.ok}, []any{doc, prefix, ok}); diff != "" {
			t.Errorf("fetchOf(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

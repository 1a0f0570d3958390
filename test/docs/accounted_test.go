package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// account says of one documented command who runs it as written, or why it
// cannot run here.
type account struct {
	// runBy are the files (from the repository root) that fetch the
	// command's text from its document and run it: a Go test's
	// documented(t, "FILE", "PREFIX") or a script's documented FILE 'PREFIX'
	// (run_documented likewise). The test checks each has such a line.
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
		"make run":  {runBy: []string{"test/e2e/docs_test.go"}}, // with a kubeconfig and without one (the running test cluster)
		"make test": {runBy: []string{".ci/run"}},
		"oc adm must-gather --image=quay.io/must-gather/must-gather-toolkit:v0.1.0": {
			notHere: "oc is not available here (and there is no OpenShift cluster); test/e2e TestImageAsOcMustGather runs the image in a pod the way oc adm must-gather does"},
		"mkdir -p must-gather": {runBy: []string{"test/e2e/image_offline_test.go"}}, // README.md and docs/image.md
		"podman run --rm --network=host -v ./kubeconfig:/kubeconfig:Z -e KUBECONFIG=/kubeconfig -v ./must-gather:/must-gather:Z quay.io/must-gather/must-gather-toolkit:v0.1.0": {
			runBy: []string{"test/e2e/image_offline_test.go"}}, // README.md and docs/image.md; hack/image-test.sh runs the test
		"_output/bin/gather --dest-dir ./must-gather": {runBy: []string{"test/e2e/docs_test.go"}},

		// docs/development.md
		"make build && _output/bin/gather version": {runBy: []string{"test/e2e/docs_test.go"}},
		"make verify":    {runBy: []string{".ci/run"}},
		"make test-unit": {runBy: []string{".ci/run"}},
		"make help":      {runBy: []string{"test/e2e/docs_test.go"}},

		// docs/image.md
		"make image": {runBy: []string{"hack/image-test.sh"}},
		"make image-ubi": {
			notHere: "its builder and base come from registry.access.redhat.com, which is not reachable here; hack/image-test.sh runs the offline form the same page gives (UBI_LOCAL=1)"},
		"make image-archive":   {runBy: []string{"hack/image-test.sh"}},
		"make image-multiarch": {runBy: []string{"hack/image-test.sh"}},
		// docs/write-an-image.md
		"make image-example": {runBy: []string{"hack/image-test.sh"}},
		"make cluster-load-image ARCHIVE=_output/image.tar": {runBy: []string{"hack/image-test.sh"}}, // docs/image.md and docs/test-cluster.md
		"make release": {
			notHere: "pushes to the public registry quay.io/must-gather; hack/image-test.sh runs the loopback form the same page gives"},
		"make release REGISTRY=127.0.0.1:5000/test PUSH_ARGS=--tls-verify=false": {runBy: []string{"hack/image-test.sh"}},
		"make image-ubi UBI_BUILDER=localhost/must-gather-base:busybox UBI_BASE=localhost/must-gather-base:busybox UBI_LOCAL=1": {
			runBy: []string{"hack/image-test.sh"}},

		// docs/release.md
		"make release-artifacts": {runBy: []string{"test/release/release_test.go"}},
		"kubectl krew install --manifest=must-gather.yaml --archive=kubectl-must_gather_0.1.0_linux-amd64.tar.gz": {
			runBy: []string{"test/release/release_test.go"}},
		// docs/analyze.md
		"cd test/browser && go test -run XXX -bench BenchmarkIndexPage100k -benchtime 5x .": {
			notHere: "a measurement, not a test: it writes 100,000 files and renders the page in Chromium for about two minutes, so make test does not run it; TestCountsRequests (test/browser) runs the same browser code"},
		// docs/clean.md
		"gather clean must-gather.tar.gz --out must-gather-clean": {runBy: []string{"test/e2e/clean_test.go"}},
		// docs/serve.md
		"_output/bin/gather serve ./must-gather": {runBy: []string{"test/e2e/serve_test.go"}},
		"cd pkg/serve && go test -run XXX -bench '/files=100000$' -benchtime 1x -benchmem .": {
			notHere: "a measurement, not a test: it writes 100,000 files twice and takes minutes; the unit tests of pkg/serve run the same code on a small bundle"},
		// BENCHMARKS.md
		"make bench PROFILE=small": {
			notHere: "a measurement, not a test: it loads the shared test cluster for minutes (an hour on scale) and its numbers mean something only on a quiet one, so make test does not run it; its Go code is unit-tested (test/bench)"},

		// docs/test-cluster.md
		"make cluster-up":                {runBy: []string{"hack/test.sh"}}, // at the end, when it started the cluster itself
		"make cluster-up CLUSTER_NODE=1": {runBy: []string{"hack/test.sh"}},
		"make cluster-status":            {runBy: []string{"hack/test.sh", "test/e2e/docs_test.go"}},
		"make cluster-stop-kubelet":      {runBy: []string{"test/e2e/docs_test.go"}},
		"make cluster-start-kubelet":     {runBy: []string{"test/e2e/docs_test.go"}},
		"make cluster-down":              {runBy: []string{"hack/test.sh"}},
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
		for _, path := range a.runBy {
			lines, err := fetchLines(root, path, text)
			if err != nil {
				t.Errorf("%q: runner %s: %v", text, path, err)
			} else if len(lines) == 0 {
				t.Errorf("%q: runner %s has no line that fetches it from its document", text, path)
			}
		}
	}
}

// fetch matches a runner's fetch of a documented command: a Go test's
// documented(t, "FILE", "PREFIX") or a script's documented FILE 'PREFIX'.
var fetch = regexp.MustCompile(`documented\(t, "([^"]+)", "([^"]+)"\)|documented ([^ '"]+) '([^']+)'`)

// fetchLines returns the lines of path that fetch the command text from
// its document.
func fetchLines(root, path, text string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil, err
	}
	var lines []int
	for i, l := range strings.Split(string(b), "\n") {
		doc, prefix, ok := fetchOf(l)
		if !ok {
			continue
		}
		c, err := Find(root, doc, prefix)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if c.Text == text {
			lines = append(lines, i+1)
		}
	}
	return lines, nil
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

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/pkg/version"
	"github.com/must-gather/toolkit/test/clustertest"
)

func kubeconfigPath(t *testing.T) string {
	t.Helper()
	if kc := os.Getenv("TEST_KUBECONFIG"); kc != "" {
		return kc
	}
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "_output", "cluster", "kubeconfig")
}

// A gather.d with a good step, a malformed line and a failing program:
// the run keeps going, records each, and exits 3 (partial).
func TestGatherKeepsGoing(t *testing.T) {
	t.Parallel()
	clustertest.Config(t)
	ns := clustertest.Namespace(t)
	gd := t.TempDir()
	steps10 := "# good, then malformed\ninspect ns/" + ns + "\ninspect a | b\n"
	if err := os.WriteFile(filepath.Join(gd, "10-inspect"), []byte(steps10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gd, "20-fails"), []byte("#!/bin/sh\necho cannot >&2\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	var out, errOut bytes.Buffer
	code := app.Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		[]string{"--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "--volume-percentage", "100"})
	if code != cli.ExitPartial {
		t.Fatalf("exit code %d, want %d\n%s", code, cli.ExitPartial, errOut.String())
	}
	i := version.Get()
	if diff := cmp.Diff(i.Product+"\n"+i.Version+"\n", read(t, filepath.Join(dest, "version"))); diff != "" {
		t.Errorf("version file (-want +got):\n%s", diff)
	}
	var m steps.Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dest, steps.ManifestFile))), &m); err != nil {
		t.Fatal(err)
	}
	type rec struct{ Name, Status string }
	var got []rec
	for _, s := range m.Steps {
		got = append(got, rec{s.Name, s.Status})
	}
	want := []rec{{"10-inspect:2", "ok"}, {"10-inspect:3", "failed"}, {"20-fails", "failed"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifest steps (-want +got):\n%s", diff)
	}
	if m.Status != steps.RunPartial || m.End == nil || m.Steps[0].Files == 0 {
		t.Errorf("manifest: status %q, end %v, files of the good step %d", m.Status, m.End, m.Steps[0].Files)
	}
	if !strings.Contains(m.Steps[1].Error, `10-inspect line 3: unquoted "|"`) || !strings.Contains(m.Steps[2].Error, "exit status 4") {
		t.Errorf("step errors: %q, %q", m.Steps[1].Error, m.Steps[2].Error)
	}
	for _, f := range []string{"namespaces/" + ns + "/" + ns + ".yaml", "namespaces/" + ns + "/core/configmaps.yaml",
		"timestamp", "gather-run.log", "aggregated-discovery-apis.yaml", "event-filter.html"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if lines := strings.Split(strings.TrimSpace(read(t, filepath.Join(dest, "timestamp"))), "\n"); len(lines) != 2 || strings.Contains(lines[0], "m=+") {
		t.Errorf("timestamp = %q, want two lines without a monotonic clock reading", lines)
	}
	if !strings.Contains(errOut.String(), "[step 1/3] 10-inspect:2") {
		t.Errorf("no progress lines on stderr:\n%s", errOut.String())
	}
}

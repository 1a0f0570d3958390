package app

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
)

// gather analyze reads a split archive from its first part, as it reads a
// folder, and writes its files beside the archive.
func TestAnalyzeSplitArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "must-gather")
	pods := `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: hungry, namespace: app}
  spec:
    containers:
    - name: main
      image: x
      resources: {limits: {memory: 32Mi}}
  status:
    phase: Running
    containerStatuses:
    - name: main
      image: x
      restartCount: 1
      lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
      state: {running: {}}
kind: PodList
metadata: {}
`
	// Incompressible filler, so the archive needs several parts.
	filler := make([]byte, 100<<10)
	if _, err := rand.Read(filler); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"namespaces/app/core/pods.yaml": pods,
		"filler-1.txt":                  hex.EncodeToString(filler[:50<<10]),
		"filler-2.txt":                  hex.EncodeToString(filler[50<<10:]),
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	archive := dir + bundle.Ext
	a, err := bundle.Write(t.Context(), dir, archive, bundle.Options{MaxPartSize: bundle.MinPartSize + 40<<10})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Paths) < 2 {
		t.Fatalf("the archive has %d parts, want a split one", len(a.Paths))
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runApp(t, "analyze", bundle.PartName(archive, 1))
	if code != cli.ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "hungry") {
		t.Errorf("the findings do not name the OOMKilled pod:\n%s", stdout)
	}
	base := strings.TrimSuffix(archive, bundle.Ext)
	b, err := os.ReadFile(base + ".analysis.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"pod-oomkilled"`) || !strings.Contains(string(b), "hungry") {
		t.Errorf("%s.analysis.json lacks the OOMKilled pod:\n%.800s", base, b)
	}
	if _, err := os.Stat(base + ".index.html"); err != nil {
		t.Errorf("no page beside the archive: %v", err)
	}
}

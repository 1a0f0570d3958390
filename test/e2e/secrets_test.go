package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// With -v 9, client-go would log the bodies of its requests and responses
// (a Secret list among them) to stderr, which oc carries back as
// gather.logs. Its other lines stay; no body and no Secret value appears.
func TestVerboseGatherLogsNoBodies(t *testing.T) {
	t.Parallel()
	planted := plantSecret(t)
	gd := t.TempDir()
	if err := os.WriteFile(filepath.Join(gd, "10-inspect"), []byte("inspect ns/kube-system\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), gatherBinary(t), "--dest-dir", filepath.Join(t.TempDir(), "out"),
		"--gather-dir", gd, "--kubeconfig", kubeconfigPath(t), "-v", "9")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gather -v 9: %v\n%s", err, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "-v 9: client-go logs no request or response bodies or headers") {
		t.Errorf("stderr does not say that client-go's bodies are not logged:\n%.2000s", log)
	}
	// klog's own lines are still there at the level asked for.
	if n := len(regexp.MustCompile(`(?m)^I\d{4} `).FindAllString(log, -1)); n < 5 {
		t.Errorf("%d klog lines on stderr, want client-go's log at -v 9:\n%.2000s", n, log)
	}
	for _, leak := range []string{"Response Body", "Request Body", "Response Headers", planted, base64.StdEncoding.EncodeToString([]byte(planted))} {
		if strings.Contains(log, leak) {
			t.Errorf("stderr of gather -v 9 holds %q", leak)
		}
	}
}

// An executable step writes straight into the destination, past every
// rule: the final leak scan finds the Secret value it wrote (inspect had
// elided it from the Secret), redacts it in place, and the manifest says
// where (file and rule, never the value).
func TestLeakScanRedactsAStepsFile(t *testing.T) {
	t.Parallel()
	planted := plantSecret(t)
	gd := t.TempDir()
	for _, f := range []struct {
		name, text string
		mode os.FileMode
	}{
		{"10-inspect", "inspect ns/kube-system\n", 0o640},
		{"20-leaks", "#!/bin/sh\necho \"the step saw password=" + planted + "\" > leaked-by-step.txt\n", 0o750},
	} {
		if err := os.WriteFile(filepath.Join(gd, f.name), []byte(f.text), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(t.TempDir(), "out")
	cmd := exec.CommandContext(t.Context(), gatherBinary(t), "--dest-dir", dest, "--gather-dir", gd, "--kubeconfig", kubeconfigPath(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gather: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dest, "leaked-by-step.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "the step saw password=REDACTED\n" {
		t.Errorf("leaked-by-step.txt = %q", got)
	}
	var m struct {
		LeaksRedacted []struct{ File, Rule string } `json:"leaksRedacted"`
	}
	mb, err := os.ReadFile(filepath.Join(dest, "gather-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range m.LeaksRedacted {
		found = found || (l.File == "leaked-by-step.txt" && l.Rule == "secret.data")
	}
	if !found {
		t.Errorf("the manifest does not record the leak in leaked-by-step.txt: %s", mb)
	}
	assertNoLeakDeep(t, readTree(t, dest), planted)
}

package e2e

import (
	"bytes"
	"encoding/base64"
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

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/auditlogs"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/nodelogs"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/test/clustertest"
)

func collectorEnv(t *testing.T) (*builtin.Env, string) {
	t.Helper()
	cfg := clustertest.Config(t)
	dest := filepath.Join(t.TempDir(), "out")
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &builtin.Env{Sink: sink, Cluster: cluster.NewAccess(func() (*rest.Config, error) { return cfg, nil }), Log: &syncBuffer{}}, dest
}

// Real audit events of the harness's apiserver arrive as .gz files that
// decompress to valid JSON audit events, with a listing.
func TestAuditLogsFromTheNode(t *testing.T) {
	t.Parallel()
	node := clustertest.RequireNode(t)
	env, dest := collectorEnv(t)
	if err := auditlogs.Run(t.Context(), env, auditlogs.Config{}); err != nil {
		t.Fatalf("audit-logs: %v", err)
	}
	listing := read(t, filepath.Join(dest, "audit_logs/kube-apiserver.audit_logs_listing"))
	if !strings.Contains(listing, node+" audit.log\n") {
		t.Errorf("listing = %q", listing)
	}
	raw, err := os.ReadFile(filepath.Join(dest, "audit_logs/kube-apiserver", node+"-audit.log.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
	for _, l := range lines {
		var ev struct{ Kind, AuditID string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Kind != "Event" || ev.AuditID == "" {
			t.Fatalf("not an audit event (%v): %.200s", err, l)
		}
	}
	if len(lines) < 10 {
		t.Errorf("only %d audit events", len(lines))
	}
	// No other server runs here: no files, no listing for them.
	for _, c := range []string{"openshift-apiserver", "oauth-apiserver"} {
		if _, err := os.Stat(filepath.Join(dest, "audit_logs", c+".audit_logs_listing")); err == nil {
			t.Errorf("a listing for %s, which does not run here", c)
		}
	}
}

// The kubelet service log is the node's real kubelet output.
func TestKubeletLogFromTheNode(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	env, dest := collectorEnv(t)
	if err := nodelogs.Run(t.Context(), env, nodelogs.Config{Units: []string{"kubelet"}}); err != nil {
		t.Fatalf("node-logs: %v", err)
	}
	got := read(t, filepath.Join(dest, "host_service_logs/masters/kubelet_service.log"))
	// The harness writes the kubelet's output to this host file; the
	// gathered log is what it held then (it only grows since).
	real, err := os.ReadFile("/var/log/kubelet.log")
	if err != nil {
		t.Skipf("the kubelet log of this harness is not readable here: %v", err)
	}
	if len(got) < 1024 || !strings.HasPrefix(string(real), got) {
		t.Errorf("gathered kubelet log (%d bytes) is not the start of /var/log/kubelet.log (%d bytes)", len(got), len(real))
	}
}

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/must-gather/toolkit/pkg/auditlogs"
	"github.com/must-gather/toolkit/pkg/nodelogs"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
	"github.com/must-gather/toolkit/test/clustertest"
)

// collectorEnv is what a node collector run of a test uses: a sink into
// dest, the cluster, and a log the test reads.
type collectorEnv struct {
	sink   *output.Sink
	access nodes.Access
	log    *outputtest.Log
	dest   string
}

func newCollectorEnv(t *testing.T) collectorEnv {
	t.Helper()
	cfg := clustertest.Config(t)
	dest := filepath.Join(t.TempDir(), "out")
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := &outputtest.Log{}
	return collectorEnv{sink: sink, access: nodes.Access{Kube: clustertest.Client(t), Config: cfg, Log: log}, log: log, dest: dest}
}

// Real audit events of the harness's apiserver arrive as .gz files that
// decompress to valid JSON audit events, with a listing: through debug
// pods running the gather image, through the node log proxy, and through
// the proxy as the fall-back when the debug pod's image is not there.
func TestAuditLogsFromTheNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     func(t *testing.T) auditlogs.Config
		wantLog string
	}{
		{name: "debug pod", cfg: func(t *testing.T) auditlogs.Config {
			return auditlogs.Config{Reaching: nodes.Reaching{Image: gatherImage(t)}}
		}, wantLog: "read through a debug pod"},
		{name: "node log proxy", cfg: func(*testing.T) auditlogs.Config {
			return auditlogs.Config{Reaching: nodes.Reaching{NoDebugPods: true}}
		}, wantLog: "reading through the node log proxy"},
		{name: "fall-back", cfg: func(*testing.T) auditlogs.Config {
			return auditlogs.Config{Reaching: nodes.Reaching{Image: "localhost/mgtk/absent:none"}}
		}, wantLog: "falling back to the node log proxy"},
	}
	// One after the other: each checks that no debug pod of its own is
	// left, which another running at the same time could confuse.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkAuditLogs(t, tc.cfg(t), tc.wantLog)
		})
	}
}

func checkAuditLogs(t *testing.T, cfg auditlogs.Config, wantLog string) {
	node := clustertest.RequireNode(t)
	c := newCollectorEnv(t)
	dest := c.dest
	if err := auditlogs.Run(t.Context(), c.sink, c.access, cfg); err != nil {
		t.Fatalf("audit-logs: %v", err)
	}
	log := c.log.String()
	if !strings.Contains(log, wantLog) {
		t.Errorf("log lacks %q:\n%s", wantLog, log)
	}
	// No debug pod outlives the run.
	runs := debugRuns(log)
	if cfg.NoDebugPods != (len(runs) == 0) {
		t.Errorf("debug pod runs %v with --no-debug-pods=%v", runs, cfg.NoDebugPods)
	}
	// Here nothing refuses critical pods: the debug pods had their class.
	if strings.Contains(log, "without priority class") {
		t.Errorf("debug pods went without their priority class:\n%s", log)
	}
	if left := leftBehind(t, runs); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	listing := read(t, filepath.Join(dest, "audit_logs/kube-apiserver.audit_logs_listing"))
	if !strings.Contains(listing, node+" audit.log\n") {
		t.Errorf("listing = %q", listing)
	}
	plain := gunzip(t, filepath.Join(dest, "audit_logs/kube-apiserver", node+"-audit.log.gz"))
	lines := strings.Split(strings.TrimSpace(plain), "\n")
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

// The kubelet service log is the node's real kubelet output (a file: the
// kubelet is not in the node's journal), and crio's is its journal entries
// of the last 7 days in the kubelet's journal format, through a debug pod
// and through the node log proxy; containerd, in neither, leaves no file.
func TestServiceLogsFromTheNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     func(t *testing.T, units []string) nodelogs.Config
		wantLog string
	}{
		{name: "debug pod", cfg: func(t *testing.T, units []string) nodelogs.Config {
			return nodelogs.Config{Units: units, Reaching: nodes.Reaching{Image: gatherImage(t)}}
		}, wantLog: "read through a debug pod"},
		{name: "node log proxy", cfg: func(_ *testing.T, units []string) nodelogs.Config {
			return nodelogs.Config{Units: units, Reaching: nodes.Reaching{NoDebugPods: true}}
		}, wantLog: "reading through the node log proxy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node := clustertest.RequireNode(t)
			// The unit of the harness's journal (crio) when the node has it.
			j := clustertest.NodeJournal(t)
			units := []string{"kubelet", "containerd"}
			if j != nil {
				units = append(units, j.Unit)
			}
			c := newCollectorEnv(t)
			dest := c.dest
			if err := nodelogs.Run(t.Context(), c.sink, c.access, tc.cfg(t, units)); err != nil {
				t.Fatalf("node-logs: %v", err)
			}
			if log := c.log.String(); !strings.Contains(log, tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, log)
			}
			dir := filepath.Join(dest, "host_service_logs/masters")
			got := read(t, filepath.Join(dir, "kubelet_service.log"))
			// The harness writes the kubelet's output to this host file; the
			// gathered log is what it held then (it only grows since).
			kubeletLog := clustertest.Harness(t).Node.KubeletLogFile
			real, err := os.ReadFile(kubeletLog)
			if err != nil {
				t.Skipf("the kubelet log of this harness is not readable here: %v", err)
			}
			if len(got) < 1024 || !strings.HasPrefix(string(real), got) {
				t.Errorf("gathered kubelet log (%d bytes) is not the start of %s (%d bytes)", len(got), kubeletLog, len(real))
			}
			if _, err := os.Stat(filepath.Join(dir, "containerd_service.log")); err == nil {
				t.Errorf("a containerd log for a node without one: %q", read(t, filepath.Join(dir, "containerd_service.log")))
			}
			if j == nil {
				t.Log("the node has no test journal: its journal path is not checked here")
				return
			}
			var recent, old []string
			for _, e := range j.Entries {
				if e.Age() < 7*24*time.Hour {
					recent = append(recent, e.Message)
				} else {
					old = append(old, e.Message)
				}
			}
			journal := read(t, filepath.Join(dir, j.Unit+"_service.log"))
			lines := strings.Split(strings.TrimSuffix(journal, "\n"), "\n")
			if len(lines) != len(recent) {
				t.Errorf("%s log has %d lines, want the %d of the last 7 days:\n%s", j.Unit, len(lines), len(recent), journal)
			}
			// short-precise, UTC: "Nov 26 17:52:21.000000 mgtk-node crio[4242]: ..."
			linePattern := regexp.MustCompile(`^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}\.\d{6} ` + regexp.QuoteMeta(node) + ` ` + regexp.QuoteMeta(j.Unit) + `\[` + strconv.Itoa(j.PID) + `\]: `)
			for i, want := range recent {
				if i < len(lines) && (!strings.HasSuffix(lines[i], want) || !linePattern.MatchString(lines[i])) {
					t.Errorf("%s log line %d = %q, want the journal line of %q", j.Unit, i+1, lines[i], want)
				}
			}
			for _, o := range old {
				if strings.Contains(journal, o) {
					t.Errorf("%s log has the entry from before the 7-day window: %q", j.Unit, o)
				}
			}
		})
	}
}

// Rotated audit files (the harness puts two backups next to audit.log: one
// closed ten days ago, plain; one an hour ago, gzipped) are all listed;
// the since-window drops the old one whole, through a debug pod (by
// modification time) and through the proxy (by the close time in the
// name); a gzipped backup is copied as it is.
func TestAuditLogsSinceWindow(t *testing.T) {
	t.Parallel()
	type path struct {
		name string
		cfg  func(t *testing.T) nodes.Reaching
	}
	paths := []path{
		{"debug pod", func(t *testing.T) nodes.Reaching { return nodes.Reaching{Image: gatherImage(t)} }},
		{"node log proxy", func(*testing.T) nodes.Reaching { return nodes.Reaching{NoDebugPods: true} }},
	}
	for _, p := range paths {
		for _, window := range []time.Duration{0, 7 * 24 * time.Hour} {
			t.Run(fmt.Sprintf("%s, since %s", p.name, window), func(t *testing.T) {
				t.Parallel()
				node := clustertest.RequireNode(t)
				c := newCollectorEnv(t)
				dest := c.dest
				cfg := auditlogs.Config{Reaching: p.cfg(t), Components: []string{"kube-apiserver"}}
				if window > 0 {
					c.access.Since = time.Now().Add(-window)
				}
				if err := auditlogs.Run(t.Context(), c.sink, c.access, cfg); err != nil {
					t.Fatalf("audit-logs: %v", err)
				}
				var old, recent string
				for _, l := range strings.Split(read(t, filepath.Join(dest, "audit_logs/kube-apiserver.audit_logs_listing")), "\n") {
					name := strings.TrimPrefix(l, node+" ")
					switch {
					case strings.HasPrefix(name, "audit-") && strings.HasSuffix(name, ".log"):
						old = name
					case strings.HasPrefix(name, "audit-") && strings.HasSuffix(name, ".log.gz"):
						recent = name
					}
				}
				if old == "" || recent == "" {
					t.Fatalf("the listing lacks the rotated files (old %q, recent %q)", old, recent)
				}
				dir := filepath.Join(dest, "audit_logs/kube-apiserver")
				if got := gunzip(t, filepath.Join(dir, node+"-"+recent)); !strings.Contains(got, `"auditID":"mgtk-rotated-recent-1"`) {
					t.Errorf("recent backup = %.200q", got)
				}
				_, err := os.Stat(filepath.Join(dir, node+"-"+old+".gz"))
				switch {
				case window > 0 && err == nil:
					t.Errorf("%s, which ended before the window, was gathered", old)
				case window == 0 && err != nil:
					t.Errorf("%s not gathered without a window: %v", old, err)
				case window == 0 && !strings.Contains(gunzip(t, filepath.Join(dir, node+"-"+old+".gz")), `"auditID":"mgtk-rotated-old-1"`):
					t.Errorf("old backup lacks its events")
				}
			})
		}
	}
}

// gunzip reads a gzip file, whole.
func gunzip(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return gunzipBytes(t, path, raw)
}

// gunzipBytes decompresses name's content, whole.
func gunzipBytes(t *testing.T, name string, raw []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: not gzip: %v", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(b)
}

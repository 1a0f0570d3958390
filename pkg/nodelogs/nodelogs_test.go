package nodelogs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
)

func TestCopySince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	since := now.Add(-time.Hour)
	in := strings.Join([]string{
		"header without a time", // before any dated line: kept
		"I1126 10:00:00.000000   1 old.go:1] old",
		"\tcontinuation of old",
		"E1126 11:30:00.000000   1 new.go:1] new",
		"\tcontinuation of new",
		"Nov 26 10:59:59 host kubelet[1]: old journal line",
		"Nov 26 11:00:00 host kubelet[1]: journal line at since",
		"I1231 23:59:59.000000   1 lastyear.go:1] from last December",
	}, "\n") + "\n"
	var out bytes.Buffer
	if err := copySince(&out, strings.NewReader(in), since, now, "node-a "); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"node-a header without a time",
		"node-a E1126 11:30:00.000000   1 new.go:1] new",
		"node-a \tcontinuation of new",
		"node-a Nov 26 11:00:00 host kubelet[1]: journal line at since",
	}, "\n") + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("copySince (-want +got):\n%s", diff)
	}
}

// Pieces of the nodes, written in any order, become one file per unit and
// role directory (masters for control-plane nodes, workers for the others),
// in node order; a unit no node had leaves no file.
func TestPiecesJoin(t *testing.T) {
	t.Parallel()
	sink, err := output.New(t.TempDir(), output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &pieces{sink: sink}
	m0 := nodes.Node{Name: "master-0", ControlPlane: true}
	m1 := nodes.Node{Name: "master-1", ControlPlane: true}
	m2 := nodes.Node{Name: "master-2", ControlPlane: true}
	w0 := nodes.Node{Name: "worker-0"}
	for _, w := range []struct {
		node       nodes.Node
		unit, text string
	}{
		{m2, "kubelet", "master-2 k1\n"},
		{m0, "kubelet", "master-0 k1\n"},
		{m0, "crio", "master-0 c1\n"},
		{w0, "kubelet", "worker-0 k1\n"},
		{m2, "kubelet", "master-2 k2\n"},
		{m1, "kubelet", "master-1 k1\n"},
	} {
		if _, err := p.of(w.node, w.unit).Write([]byte(w.text)); err != nil {
			t.Fatal(err)
		}
	}
	p.of(m1, "containerd") // asked for, never written
	if err := p.join(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = filepath.WalkDir(sink.Root(), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(sink.Root(), path)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"host_service_logs/masters/kubelet_service.log": "master-0 k1\nmaster-1 k1\nmaster-2 k1\nmaster-2 k2\n",
		"host_service_logs/masters/crio_service.log":    "master-0 c1\n",
		"host_service_logs/workers/kubelet_service.log": "worker-0 k1\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// Journal lines (short-precise, as the kubelet's log query and the node
// agent ask for) are in UTC whatever our zone; klog lines in local time.
func TestCopySinceJournalInUTC(t *testing.T) {
	t.Parallel()
	est := time.FixedZone("EST", -5*3600)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, est) // 17:00 UTC
	since := now.Add(-time.Hour)                     // 11:00 EST = 16:00 UTC
	in := strings.Join([]string{
		"Nov 26 15:59:59.999999 host crio[42]: before the window",
		"Nov 26 16:00:00.000001 host crio[42]: in the window",
		"I1126 10:59:00.000000   1 x.go:1] local, before",
		"I1126 11:01:00.000000   1 x.go:1] local, in",
	}, "\n") + "\n"
	var out bytes.Buffer
	if err := copySince(&out, strings.NewReader(in), since, now, ""); err != nil {
		t.Fatal(err)
	}
	want := "Nov 26 16:00:00.000001 host crio[42]: in the window\nI1126 11:01:00.000000   1 x.go:1] local, in\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}

// A service name that is not one is refused before any node is asked.
func TestRunRefusesBadUnit(t *testing.T) {
	t.Parallel()
	err := Run(t.Context(), nil, nodes.Access{}, Config{Units: []string{"kubelet", "../../etc/shadow"}})
	if err == nil || !strings.Contains(err.Error(), `invalid service name "../../etc/shadow"`) {
		t.Errorf("error = %v", err)
	}
}

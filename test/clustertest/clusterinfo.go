package clustertest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// infoFile is the record the harness writes into its state directory when
// the cluster is up (test/cluster/clusterinfo). This module cannot import
// that one (it requires k8s.io/kubernetes), so the types below decode the
// same JSON; both sides are tested against
// test/cluster/clusterinfo/testdata/cluster.json.
const infoFile = "cluster.json"

// Info is what the harness recorded about the test cluster it started.
type Info struct {
	// Kubeconfig is the admin kubeconfig.
	Kubeconfig string `json:"kubeconfig"`
	// AuditLogDir is the host directory of the apiserver's audit.log.
	AuditLogDir string `json:"auditLogDir"`
	// Node is nil when only the control plane runs.
	Node *Node `json:"node,omitempty"`
}

// Node is the test cluster's one node.
type Node struct {
	Name string `json:"name"`
	// TestImage is loaded on the node; it also is the pod sandbox image.
	// See test/cluster/testimage for its modes.
	TestImage string `json:"testImage"`
	// KubeletLogFile is the host file the kubelet writes to.
	KubeletLogFile string `json:"kubeletLogFile"`
	// Journal is nil when the node has no test journal.
	Journal *Journal `json:"journal,omitempty"`
}

// Journal is what the harness wrote into the node's systemd journal: the
// entries of Unit, in order, each from process PID on the node's host name.
type Journal struct {
	Unit    string         `json:"unit"`
	PID     int            `json:"pid"`
	Entries []JournalEntry `json:"entries"`
}

// JournalEntry is one entry of the node's journal.
type JournalEntry struct {
	Message    string `json:"message"`
	AgeSeconds int64  `json:"ageSeconds"`
}

// Age is how long before the node started the entry was written.
func (e JournalEntry) Age() time.Duration { return time.Duration(e.AgeSeconds) * time.Second }

// readInfo reads the harness's record in its state directory dir.
func readInfo(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, infoFile))
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, infoFile), err)
	}
	return &info, nil
}

// Harness returns the harness's record of the test cluster. It fails the
// test on a cluster the harness did not start (TEST_KUBECONFIG names
// another).
func Harness(t testing.TB) *Info {
	t.Helper()
	Config(t)
	if onceDir == "" {
		t.Fatalf("the test cluster is not the harness's: no %s beside TEST_KUBECONFIG (a cluster started by an older harness has none: restart it)", infoFile)
	}
	info, err := readInfo(onceDir)
	if err != nil {
		t.Fatalf("the harness's record of the test cluster: %v", err)
	}
	return info
}

// Dir returns the harness's state directory of the test cluster: the
// TESTCLUSTER_DIR of hack/cluster.sh and the `make cluster-*` targets. It
// skips the test on a cluster the harness did not start (TEST_KUBECONFIG
// names another): there is no directory to give.
func Dir(t testing.TB) string {
	t.Helper()
	Config(t)
	if onceDir == "" {
		t.Skip("needs the harness's own cluster (TEST_KUBECONFIG names another)")
	}
	return onceDir
}

// harnessNode is the harness's record of the node; it fails the test when
// the cluster has none.
func harnessNode(t testing.TB) *Node {
	t.Helper()
	n := Harness(t).Node
	if n == nil {
		t.Fatal("the test cluster has no node (start it with `make cluster-up CLUSTER_NODE=1`)")
	}
	return n
}

// NodeName returns the name of the test cluster's node.
func NodeName(t testing.TB) string {
	t.Helper()
	return harnessNode(t).Name
}

// TestImage returns the reference of the image loaded on the node (see
// test/cluster/testimage).
func TestImage(t testing.TB) string {
	t.Helper()
	return harnessNode(t).TestImage
}

// NodeJournal returns the node's test journal, or nil when it has none: on
// a host whose journald keeps its own volatile journal, or with
// TESTCLUSTER_JOURNAL_DIR=none.
func NodeJournal(t testing.TB) *Journal {
	t.Helper()
	return harnessNode(t).Journal
}

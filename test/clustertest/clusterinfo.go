package clustertest

import (
	"testing"

	"github.com/must-gather/toolkit/test/clusterinfo"
)

// infoFile is the record the harness writes into its state directory when
// the cluster is up.
const infoFile = clusterinfo.FileName

// Harness returns the harness's record of the test cluster. It fails the
// test on a cluster the harness did not start (TEST_KUBECONFIG names
// another).
func Harness(t testing.TB) *clusterinfo.Info {
	t.Helper()
	Config(t)
	if onceDir == "" {
		t.Fatalf("the test cluster is not the harness's: no %s beside TEST_KUBECONFIG (a cluster started by an older harness has none: restart it)", infoFile)
	}
	info, err := clusterinfo.Read(onceDir)
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
func harnessNode(t testing.TB) *clusterinfo.Node {
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
func NodeJournal(t testing.TB) *clusterinfo.Journal {
	t.Helper()
	return harnessNode(t).Journal
}

// Kubectl returns the kubectl of the server's version that the harness
// built beside itself. It fails the test when the harness has none (a
// cluster started by an older harness: restart it).
func Kubectl(t testing.TB) string {
	t.Helper()
	k := Harness(t).Kubectl
	if k == "" {
		t.Fatal("the harness built no kubectl (a cluster started by an older harness: restart it with `make cluster-down cluster-up`)")
	}
	return k
}

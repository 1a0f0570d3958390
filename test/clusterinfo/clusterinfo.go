// Package clusterinfo is the record of a test cluster that the harness
// (test/cluster) writes into its state directory at up (FileName), and that
// the tests read through test/clustertest instead of keeping copies of the
// harness's names (the node, the test image, the node's journal). It has no
// dependencies, so both modules use this one copy.
package clusterinfo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileName is the record's name in the harness's state directory.
const FileName = "cluster.json"

// Info is what the tests may know about the running test cluster.
type Info struct {
	// Kubeconfig is the admin kubeconfig (an absolute path; it embeds its
	// certificates).
	Kubeconfig string `json:"kubeconfig"`
	// AuditLogDir is the host directory where the apiserver writes
	// audit.log, next to the rotated backups the harness puts there.
	AuditLogDir string `json:"auditLogDir"`
	// Kubectl is a kubectl of the server's version, built with the harness
	// (the machine's own may be outside the version skew); empty when the
	// harness was built without it.
	Kubectl string `json:"kubectl,omitempty"`
	// Node is the node tier; nil when only the control plane runs.
	Node *Node `json:"node,omitempty"`
}

// Node is the cluster's one node.
type Node struct {
	Name string `json:"name"`
	// TestImage is loaded into the node's containerd (nothing is ever
	// pulled); it also is the pod sandbox image. See test/cluster/testimage.
	TestImage string `json:"testImage"`
	// KubeletLogFile is the host file the kubelet's output goes to.
	KubeletLogFile string `json:"kubeletLogFile"`
	// SimCIDR is the range for simulated nodes and their pods: routed from
	// the host into the node's network namespace and sunk there, so nothing
	// sent to it leaves the machine. Nothing else uses it.
	SimCIDR string `json:"simCIDR"`
	// MaxPods is the kubelet's maxPods.
	MaxPods int `json:"maxPods"`
	// Journal is the node's test journal; nil when it has none.
	Journal *Journal `json:"journal,omitempty"`
}

// Journal is what the harness wrote into the node's systemd journal: the
// entries of one unit, in order, each from a process PID of the node's
// host name.
type Journal struct {
	Unit    string         `json:"unit"`
	PID     int            `json:"pid"`
	Entries []JournalEntry `json:"entries"`
}

// JournalEntry is one entry, written AgeSeconds before the node started.
type JournalEntry struct {
	Message    string `json:"message"`
	AgeSeconds int64  `json:"ageSeconds"`
}

// Age is how long before the node started the entry was written.
func (e JournalEntry) Age() time.Duration { return time.Duration(e.AgeSeconds) * time.Second }

// Read reads the record in the state directory dir.
func Read(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, FileName), err)
	}
	return &info, nil
}

// Write records info in dir, atomically: a reader sees the whole record or
// none.
func Write(dir string, info Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+FileName+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	err = errors.Join(err, f.Chmod(0o640), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, FileName))
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

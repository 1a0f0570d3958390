package clusterinfo

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/cluster.json")

// example is the record of a cluster of the default configuration with its
// node and journal. testdata/cluster.json is its file, which
// test/clustertest decodes too.
var example = Info{
	Kubeconfig:  "/src/must-gather-toolkit/_output/cluster/kubeconfig",
	AuditLogDir: "/var/log/kube-apiserver",
	Kubectl:     "/root/.cache/must-gather-toolkit/testcluster/0123456789abcdef/kubectl",
	Node: &Node{
		Name:           "mgtk-node",
		TestImage:      "localhost/mgtk/testimage:v1",
		KubeletLogFile: "/var/log/kubelet.log",
		SimCIDR:        "10.244.128.0/17",
		MaxPods:        250,
		Journal: &Journal{
			Unit: "crio",
			PID:  4242,
			Entries: []JournalEntry{
				{Message: "mgtk journal entry from ten days ago", AgeSeconds: 864000},
				{Message: "mgtk journal entry from an hour ago", AgeSeconds: 3600},
				{Message: "mgtk journal entry from a minute ago", AgeSeconds: 60},
			},
		},
	},
}

func TestWriteRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info Info
	}{
		{name: "control plane only", info: Info{Kubeconfig: "/x/kubeconfig", AuditLogDir: "/var/log/kube-apiserver"}},
		{name: "node without journal", info: Info{Kubeconfig: "/x/kubeconfig", Node: &Node{Name: "n", TestImage: "i"}}},
		{name: "node with journal", info: example},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := Write(dir, tc.info); err != nil {
				t.Fatal(err)
			}
			got, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.info, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != FileName {
				t.Errorf("directory holds %v, want only %s", entries, FileName)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string // "": no file
	}{
		{name: "no record (no cluster, or one of an older harness)"},
		{name: "not JSON", content: "kubeconfig: x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if info, err := Read(dir); err == nil {
				t.Errorf("Read = %+v, want an error", info)
			}
		})
	}
}

func TestAge(t *testing.T) {
	if got := example.Node.Journal.Entries[0].Age(); got != 10*24*time.Hour {
		t.Errorf("age of the first entry = %s, want 240h", got)
	}
}

// TestExample pins the file format: testdata/cluster.json is what Write
// writes for example (go test -update rewrites it).
func TestExample(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, example); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", FileName)
	if *update {
		if err := os.WriteFile(golden, got, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
}

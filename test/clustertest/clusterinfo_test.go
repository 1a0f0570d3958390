package clustertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadInfo reads the harness's example record (the file its own test
// pins to what it writes): every field is known here, and read.
func TestReadInfo(t *testing.T) {
	t.Parallel()
	example := filepath.Join("..", "cluster", "clusterinfo", "testdata", infoFile)
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&Info{}); err != nil {
		t.Errorf("%s has fields clustertest does not know: %v", example, err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, infoFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Info{
		Kubeconfig:  "/src/must-gather-toolkit/_output/cluster/kubeconfig",
		AuditLogDir: "/var/log/kube-apiserver",
		Node: &Node{
			Name:           "mgtk-node",
			TestImage:      "localhost/mgtk/testimage:v1",
			KubeletLogFile: "/var/log/kubelet.log",
			Journal: &Journal{Unit: "crio", PID: 4242, Entries: []JournalEntry{
				{Message: "mgtk journal entry from ten days ago", AgeSeconds: 864000},
				{Message: "mgtk journal entry from an hour ago", AgeSeconds: 3600},
				{Message: "mgtk journal entry from a minute ago", AgeSeconds: 60},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readInfo (-want +got):\n%s", diff)
	}
	if age := got.Node.Journal.Entries[0].Age(); age != 10*24*time.Hour {
		t.Errorf("age of the first entry = %s, want 240h", age)
	}
}

func TestReadInfoErrors(t *testing.T) {
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
				if err := os.WriteFile(filepath.Join(dir, infoFile), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if info, err := readInfo(dir); err == nil {
				t.Errorf("readInfo = %+v, want an error", info)
			}
		})
	}
}

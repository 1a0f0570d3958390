package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/must-gather/toolkit/test/clusterinfo"
)

// What up records in the state directory for the commands that act on the
// running cluster later.

func (c *Config) configFile() string { return c.path("config.json") }

// loadRunning reads the configuration a running (or stopped) cluster was
// started with, so down and load-image act on what up created.
func loadRunning(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var c Config
	return &c, json.Unmarshal(b, &c)
}

// info is the record of the cluster for the tests (clusterinfo): what up
// started, by the names it used.
func (c *Config) info() clusterinfo.Info {
	info := clusterinfo.Info{Kubeconfig: c.Kubeconfig(), AuditLogDir: c.AuditLogDir, Kubectl: kubectlBeside()}
	if !c.Node {
		return info
	}
	info.Node = &clusterinfo.Node{Name: c.NodeName, TestImage: TestImage, KubeletLogFile: c.KubeletLogFile,
		SimCIDR: c.SimCIDR, MaxPods: c.MaxPods}
	if c.JournalDir != "none" {
		j := &clusterinfo.Journal{Unit: JournalUnit, PID: journalPID}
		for _, e := range JournalEntries {
			j.Entries = append(j.Entries, clusterinfo.JournalEntry{Message: e.Message, AgeSeconds: int64(e.Age / time.Second)})
		}
		info.Node.Journal = j
	}
	return info
}

func (c *Config) infoFile() string { return c.path(clusterinfo.FileName) }

// kubectlBeside is the kubectl that hack/cluster.sh builds next to the
// harness's binary (of the same Kubernetes version), or "" when there is
// none.
func kubectlBeside() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	k := filepath.Join(filepath.Dir(exe), "kubectl")
	if fi, err := os.Stat(k); err != nil || fi.Mode()&0o111 == 0 {
		return ""
	}
	return k
}

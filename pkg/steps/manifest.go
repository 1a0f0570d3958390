package steps

import (
	"encoding/json"
	"time"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/leakscan"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/version"
)

// ManifestFile is the manifest's name in the destination.
const ManifestFile = "gather-manifest.json"

// Step statuses.
const (
	StatusPending  = "pending"
	StatusRunning  = "running"
	StatusOK       = "ok"
	StatusFailed   = "failed"
	StatusTimedOut = "timed-out"
	StatusSkipped  = "skipped"
)

// Run statuses.
const (
	RunRunning = "running"
	RunOK      = "ok"      // every step succeeded
	RunPartial = "partial" // some data, some steps not ok
	RunFailed  = "failed"  // no step succeeded and none wrote anything
)

// Manifest records a gather run. The runner rewrites it after every step,
// so it is true up to the last finished step even if the run is killed.
type Manifest struct {
	Tool       version.Info `json:"tool"`
	Start      time.Time    `json:"start"`
	End        *time.Time   `json:"end,omitempty"`
	Status     string       `json:"status"`
	StopReason string       `json:"stopReason,omitempty"`
	Options    any          `json:"options"`
	Warnings   []string     `json:"warnings,omitempty"`
	Steps      []StepRecord `json:"steps"`
	Files      int64        `json:"files"`
	Bytes      int64        `json:"bytes"`
	// LeaksRedacted are the elided Secret values the final scan found in
	// files of the result, and redacted there (file and rule, never a value).
	LeaksRedacted []leakscan.Leak `json:"leaksRedacted,omitempty"`
	// LeakScanSeconds is how long that scan took.
	LeakScanSeconds float64 `json:"leakScanSeconds,omitempty"`
}

// StepRecord is the outcome of one step.
type StepRecord struct {
	Name            string     `json:"name"`
	File            string     `json:"file"`
	Line            int        `json:"line,omitempty"`
	Command         string     `json:"command"`
	Budget          string     `json:"budget,omitempty"`
	Start           *time.Time `json:"start,omitempty"`
	DurationSeconds float64    `json:"durationSeconds"`
	Status          string     `json:"status"`
	Error           string     `json:"error,omitempty"`
	Files           int64      `json:"files"`
	Bytes           int64      `json:"bytes"`
	// Nodes says how a node collector reached each node.
	Nodes []builtin.NodeReport `json:"nodes,omitempty"`
	// Cuts are the container logs the size limits cut or refused.
	Cuts []output.Cut `json:"cuts,omitempty"`
}

func (m *Manifest) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

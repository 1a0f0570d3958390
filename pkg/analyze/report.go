package analyze

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/must-gather/toolkit/pkg/steps"
)

// Files the analysis writes at the bundle root.
const (
	JSONFile = "analysis.json"
	PageFile = "index.html"
)

// Severity ranks a finding.
type Severity string

// Severities, from the most serious.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// rank orders severities: lower is more serious; unknown ones last.
func (s Severity) rank() int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	case Info:
		return 2
	}
	return 3
}

// AtLeast says whether s is as serious as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.rank() <= min.rank() }

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(s); v {
	case Critical, Warning, Info:
		return v, nil
	}
	return "", fmt.Errorf("unknown severity %q (want critical, warning or info)", s)
}

// Object names a Kubernetes object of the bundle.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Finding is one thing wrong in the bundle: what, how serious, which
// objects, and the files that show it (paths relative to the analysed
// root, so index.html links to them as they are).
type Finding struct {
	Severity Severity `json:"severity"`
	// Check is the stable name of the rule that found it (node-not-ready,
	// pod-crashloop, ...), for tools to match on.
	Check   string   `json:"check"`
	Title   string   `json:"title"`
	Message string   `json:"message,omitempty"`
	Objects []Object `json:"objects"`
	Files   []string `json:"files"`
	// Count is how often it happened, where that is known (events).
	Count int `json:"count,omitempty"`
}

// Bundle summarises one gathered folder found under the root: ours (with
// its manifest) or any in the oc adm inspect layout.
type Bundle struct {
	// Path is the folder, relative to the root ("." for the root itself).
	Path           string             `json:"path"`
	Product        string             `json:"product,omitempty"`
	ProductVersion string             `json:"productVersion,omitempty"`
	Tool           string             `json:"tool,omitempty"`
	Cluster        string             `json:"cluster,omitempty"`
	ServerVersion  string             `json:"serverVersion,omitempty"`
	Status         string             `json:"status,omitempty"`
	StopReason     string             `json:"stopReason,omitempty"`
	Start          *time.Time         `json:"start,omitempty"`
	End            *time.Time         `json:"end,omitempty"`
	Steps          []steps.StepRecord `json:"steps,omitempty"`
	Nodes          int                `json:"nodes"`
	NodesReady     int                `json:"nodesReady"`
	Namespaces     int                `json:"namespaces"`
	Pods           int                `json:"pods"`
}

// Report is the whole analysis: analysis.json.
type Report struct {
	// AsOf is the time certificates are judged at: the end of the gather
	// when a manifest says it, else the time of the analysis.
	AsOf     time.Time      `json:"asOf"`
	Files    int            `json:"files"`
	Bytes    int64          `json:"bytes"`
	Bundles  []Bundle       `json:"bundles"`
	Counts   map[string]int `json:"counts"`
	Findings []Finding      `json:"findings"`
	// Errors are the files the analysis could not read (it goes on).
	Errors []string `json:"errors,omitempty"`
}

// Worst is the most serious severity of the findings, or "" when none.
func (r *Report) Worst() Severity {
	var worst Severity
	for _, f := range r.Findings {
		if worst == "" || f.Severity.rank() < worst.rank() {
			worst = f.Severity
		}
	}
	return worst
}

// sortFindings orders findings by severity, then check, then the first
// object; events keep their rank by count within their check.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(a.Severity.rank(), b.Severity.rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Check, b.Check); c != 0 {
			return c
		}
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(firstObject(a), firstObject(b))
	})
}

func firstObject(f Finding) string {
	if len(f.Objects) == 0 {
		return ""
	}
	return f.Objects[0].String()
}

// JSON is the report as analysis.json holds it.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the analysis: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteText writes the findings for a terminal: one block per finding,
// most serious first, each with the files that show it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, bd := range r.Bundles {
		fmt.Fprintf(&b, "bundle %s:", bd.Path)
		if bd.Product != "" {
			fmt.Fprintf(&b, " %s %s,", bd.Product, bd.ProductVersion)
		}
		if bd.ServerVersion != "" {
			fmt.Fprintf(&b, " Kubernetes %s,", bd.ServerVersion)
		}
		fmt.Fprintf(&b, " %d/%d nodes ready, %d namespaces, %d pods", bd.NodesReady, bd.Nodes, bd.Namespaces, bd.Pods)
		if bd.Status != "" {
			fmt.Fprintf(&b, ", gather %s", bd.Status)
		}
		b.WriteString("\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%-8s %s: %s\n", strings.ToUpper(string(f.Severity)), f.Check, f.Title)
		if f.Message != "" {
			fmt.Fprintf(&b, "         %s\n", oneLine(f.Message))
		}
		for _, file := range f.Files {
			fmt.Fprintf(&b, "         see %s\n", file)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "not read: %s\n", e)
	}
	fmt.Fprintf(&b, "%d findings: %d critical, %d warning, %d info\n", len(r.Findings), r.Counts[string(Critical)], r.Counts[string(Warning)], r.Counts[string(Info)])
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 400
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

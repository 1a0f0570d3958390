package bench

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The names of the tools the runner measures, in the order of the table.
const (
	ToolInspect     = "inspect"
	ToolInspectFast = "inspect-fast"
	ToolGather      = "gather"
	ToolClient      = "client"
	ToolKubectl     = "kubectl-dump"
	ToolFloor       = "floor"
)

// Run is one run of a tool.
type Run struct {
	WallSeconds float64 `json:"wallSeconds"`
	// CPUSeconds is user+sys of the child and its waited-for children
	// (wait4); MaxRSSBytes its peak resident set.
	CPUSeconds  float64 `json:"cpuSeconds"`
	MaxRSSBytes int64   `json:"maxRSSBytes"`
	Gathered
	// Received is what the floor fetched (it writes nothing).
	Received int64  `json:"receivedBytes,omitempty"`
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
}

// Tool is the runs of one tool.
type Tool struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
	// Note says what the numbers cover when it is not obvious.
	Note string `json:"note,omitempty"`
	Runs []Run  `json:"runs"`
}

// Spread is the median and range of one measure over the runs.
type Spread struct {
	Median, Min, Max float64
}

func spread(runs []Run, f func(Run) float64) Spread {
	if len(runs) == 0 {
		return Spread{}
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Spread{Median: m, Min: v[0], Max: v[len(v)-1]}
}

func (t Tool) Wall() Spread { return spread(t.Runs, func(r Run) float64 { return r.WallSeconds }) }
func (t Tool) CPU() Spread  { return spread(t.Runs, func(r Run) float64 { return r.CPUSeconds }) }
func (t Tool) RSS() Spread {
	return spread(t.Runs, func(r Run) float64 { return float64(r.MaxRSSBytes) / (1 << 20) })
}
func (t Tool) field(f func(Run) int64) Spread {
	return spread(t.Runs, func(r Run) float64 { return float64(f(r)) })
}

// Compression is one sub-benchmark of BenchmarkAuditCompression.
type Compression struct {
	Name   string  `json:"name"`
	MBps   float64 `json:"mbPerSecond"`
	Ratio  float64 `json:"ratio"`
	Counts int     `json:"runs"`
}

// Machine is where the numbers were measured.
type Machine struct {
	CPU           string  `json:"cpu"`
	Cores         int     `json:"cores"`
	MemoryBytes   int64   `json:"memoryBytes"`
	Kernel        string  `json:"kernel"`
	GoVersion     string  `json:"goVersion"`
	ServerVersion string  `json:"serverVersion"`
	Kubectl       string  `json:"kubectl"`
	LoadBefore    float64 `json:"loadAverageBefore"`
	LoadAfter     float64 `json:"loadAverageAfter"`
}

// Results are one benchmark run: results.json.
type Results struct {
	Profile     Profile       `json:"profile"`
	Started     time.Time     `json:"started"`
	Seconds     float64       `json:"seconds"`
	Machine     Machine       `json:"machine"`
	Namespaces  int           `json:"namespaces"`
	Tools       []Tool        `json:"tools"`
	Compression []Compression `json:"compression,omitempty"`
	// LargeMaxRSSMiB is the median peak RSS of inspect on large, from the
	// last large run (for scale's memory target); 0 when unknown.
	LargeMaxRSSMiB float64  `json:"largeMaxRSSMiB,omitempty"`
	Targets        []Target `json:"targets"`
}

// Tool returns the tool of that name.
func (r *Results) Tool(name string) (Tool, bool) {
	for _, t := range r.Tools {
		if t.Name == name {
			return t, len(t.Runs) > 0
		}
	}
	return Tool{}, false
}

// Target is one target of the issue, checked on this run's numbers.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	// Met is "yes", "no", or "n/a" (not measurable in this run).
	Met string `json:"met"`
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// CheckTargets computes the targets of issue 13 that this run can tell.
func (r *Results) CheckTargets() {
	var ts []Target
	floor, haveFloor := r.Tool(ToolFloor)
	inspect, haveInspect := r.Tool(ToolInspect)
	na := func(name, want, why string) { ts = append(ts, Target{Name: name, Want: want, Got: why, Met: "n/a"}) }

	wallLimit := map[string]float64{"small": 2, "large": 1.3}[r.Profile.Name]
	if wallLimit > 0 {
		name, want := "inspect wall vs floor", fmt.Sprintf("<= %.1fx", wallLimit)
		if haveFloor && haveInspect && floor.Wall().Median > 0 {
			x := inspect.Wall().Median / floor.Wall().Median
			ts = append(ts, Target{Name: name, Want: want, Got: fmt.Sprintf("%.2fx", x), Met: yesNo(x <= wallLimit)})
		} else {
			na(name, want, "inspect or floor did not run")
		}
	}
	if kubectl, ok := r.Tool(ToolKubectl); ok && haveInspect && inspect.Wall().Median > 0 {
		x := kubectl.Wall().Median / inspect.Wall().Median
		more := inspect.field(func(r Run) int64 { return r.Objects }).Median > kubectl.field(func(r Run) int64 { return r.Objects }).Median
		ts = append(ts, Target{Name: "inspect vs kubectl cluster-info dump", Want: ">= 3x faster, more objects",
			Got: fmt.Sprintf("%.2fx faster, %s objects", x, map[bool]string{true: "more", false: "not more"}[more]), Met: yesNo(x >= 3 && more)})
	} else {
		na("inspect vs kubectl cluster-info dump", ">= 3x faster, more objects", "inspect or kubectl did not run")
	}
	if r.Profile.Name == "small" {
		if haveInspect {
			m := inspect.RSS().Median
			ts = append(ts, Target{Name: "inspect peak RSS", Want: "<= 100 MiB", Got: fmt.Sprintf("%.0f MiB", m), Met: yesNo(m <= 100)})
		} else {
			na("inspect peak RSS", "<= 100 MiB", "inspect did not run")
		}
	}
	if r.Profile.Name == "scale" {
		name, want := "inspect peak RSS vs large", "<= 1.2x"
		if haveInspect && r.LargeMaxRSSMiB > 0 {
			x := inspect.RSS().Median / r.LargeMaxRSSMiB
			ts = append(ts, Target{Name: name, Want: want, Got: fmt.Sprintf("%.2fx (%.0f / %.0f MiB)", x, inspect.RSS().Median, r.LargeMaxRSSMiB), Met: yesNo(x <= 1.2)})
		} else {
			na(name, want, "no result of large (_output/bench/results-large.json)")
		}
	}
	if kp, std, ok := r.compression("gzip"); ok {
		x := kp.MBps / std.MBps
		comparable := kp.Ratio >= 0.9*std.Ratio
		ts = append(ts, Target{Name: "compression (klauspost vs compress/gzip)", Want: ">= 2x throughput, ratio within 10%",
			Got: fmt.Sprintf("%.2fx (%.0f vs %.0f MB/s), ratio %.2f vs %.2f", x, kp.MBps, std.MBps, kp.Ratio, std.Ratio), Met: yesNo(x >= 2 && comparable)})
	} else {
		na("compression (klauspost vs compress/gzip)", ">= 2x throughput, ratio within 10%", "the Go benchmark did not run")
	}
	client, haveClient := r.Tool(ToolClient)
	gather, haveGather := r.Tool(ToolGather)
	if haveClient && haveGather {
		d := client.Wall().Median - gather.Wall().Median
		ts = append(ts, Target{Name: "client end to end over the gather", Want: "<= +5 s", Got: fmt.Sprintf("%+.1f s", d), Met: yesNo(d <= 5)})
	} else {
		na("client end to end over the gather", "<= +5 s", "client or gather did not run")
	}
	r.Targets = ts
}

// compression returns the klauspost and stdlib results of a path ("gzip"
// or "sink").
func (r *Results) compression(path string) (kp, std Compression, ok bool) {
	var haveKP, haveStd bool
	for _, c := range r.Compression {
		switch c.Name {
		case path + "/klauspost":
			kp, haveKP = c, true
		case path + "/stdlib":
			std, haveStd = c, true
		}
	}
	return kp, std, haveKP && haveStd && std.MBps > 0
}

// ParseCompression reads `go test -bench BenchmarkAuditCompression` output;
// with -count N, each sub-benchmark's median.
func ParseCompression(r io.Reader) ([]Compression, error) {
	type acc struct{ mbps, ratio []float64 }
	byName := map[string]*acc{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkAuditCompression/") {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkAuditCompression/")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		a := byName[name]
		if a == nil {
			a = &acc{}
			byName[name] = a
			order = append(order, name)
		}
		for i := 1; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "MB/s":
				a.mbps = append(a.mbps, v)
			case "ratio":
				a.ratio = append(a.ratio, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []Compression
	for _, n := range order {
		a := byName[n]
		if len(a.mbps) == 0 || len(a.ratio) == 0 {
			return nil, fmt.Errorf("benchmark %s: no MB/s or ratio in its lines", n)
		}
		out = append(out, Compression{Name: n, MBps: median(a.mbps), Ratio: median(a.ratio), Counts: len(a.mbps)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no BenchmarkAuditCompression lines")
	}
	return out, nil
}

func median(v []float64) float64 {
	runs := make([]Run, len(v))
	for i, x := range v {
		runs[i].WallSeconds = x
	}
	return spread(runs, func(r Run) float64 { return r.WallSeconds }).Median
}

// WriteTable writes the results as Markdown: the tools with their ratios
// to the floor, the compression benchmark, and the targets.
func (r *Results) WriteTable(w io.Writer) error {
	var b strings.Builder
	p := r.Profile
	fmt.Fprintf(&b, "Profile `%s`: %d gathered namespaces, %d objects loaded (%d configmaps, %d secrets, %d services, %d deployments, %d custom resources, %d events, %d pods with %d KiB of log each, %d restarted; %d simulated nodes, %d simulated pods). %d runs of each tool, one after another; median (min-max).\n\n",
		p.Name, p.Namespaces, p.Objects(), p.ConfigMaps, p.Secrets, p.Services, p.Deployments, p.CustomResources, p.Events, p.Pods, p.LogBytes>>10, p.RestartedPods,
		p.SimulatedNodes, p.SimulatedPods, r.runs())
	b.WriteString("| tool | wall s | x floor | CPU s | x floor | peak RSS MiB | x floor | written MB | objects | logs | failed runs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	floor, haveFloor := r.Tool(ToolFloor)
	ratio := func(v, f float64) string {
		if !haveFloor || f <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", v/f)
	}
	for _, t := range r.Tools {
		if len(t.Runs) == 0 {
			continue
		}
		wall, cpu, rss := t.Wall(), t.CPU(), t.RSS()
		failed := 0
		for _, run := range t.Runs {
			if run.ExitCode != 0 || run.Error != "" {
				failed++
			}
		}
		written := t.field(func(r Run) int64 { return r.Bytes })
		name := t.Name
		if t.Note != "" {
			name += " (" + t.Note + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.1f | %.0f | %.0f | %d |\n", name,
			fmtSpread(wall, 1), ratio(wall.Median, floor.Wall().Median),
			fmtSpread(cpu, 1), ratio(cpu.Median, floor.CPU().Median),
			fmtSpread(rss, 0), ratio(rss.Median, floor.RSS().Median),
			written.Median/1e6,
			t.field(func(r Run) int64 { return r.Objects }).Median,
			t.field(func(r Run) int64 { return r.Logs }).Median, failed)
	}
	if len(r.Compression) > 0 {
		b.WriteString("\nAudit-log compression (`go test -bench BenchmarkAuditCompression ./pkg/output`; MB/s of input):\n\n| path | MB/s | ratio |\n|---|---|---|\n")
		for _, c := range r.Compression {
			fmt.Fprintf(&b, "| %s | %.1f | %.2f |\n", c.Name, c.MBps, c.Ratio)
		}
	}
	b.WriteString("\nTargets (issue 13):\n\n| target | want | got | met |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, t.Met)
	}
	m := r.Machine
	fmt.Fprintf(&b, "\nMachine: %s, %d cores, %.0f GiB; kernel %s; %s; server %s; kubectl %s; load average %.1f before, %.1f after.\n",
		m.CPU, m.Cores, float64(m.MemoryBytes)/(1<<30), m.Kernel, m.GoVersion, m.ServerVersion, m.Kubectl, m.LoadBefore, m.LoadAfter)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Results) runs() int {
	n := 0
	for _, t := range r.Tools {
		n = max(n, len(t.Runs))
	}
	return n
}

func fmtSpread(s Spread, prec int) string {
	if s.Min == s.Max {
		return strconv.FormatFloat(s.Median, 'f', prec, 64)
	}
	return fmt.Sprintf("%s (%s-%s)", strconv.FormatFloat(s.Median, 'f', prec, 64),
		strconv.FormatFloat(s.Min, 'f', prec, 64), strconv.FormatFloat(s.Max, 'f', prec, 64))
}

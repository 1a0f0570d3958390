package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/must-gather/toolkit/test/bench"
	"github.com/must-gather/toolkit/test/clusterinfo"
)

type options struct {
	kubeconfig   string
	loaded       string
	out          string
	bin          string
	image        string
	kubectl      string
	clusterDir   string
	compression  string
	benchmarksMD string
	runs         int
	timeout      time.Duration
	tools        []string
	keep         bool
}

var allTools = []string{bench.ToolInspect, bench.ToolInspectFast, bench.ToolGather, bench.ToolClient, bench.ToolKubectl, bench.ToolFloor}

func (o *options) parse(args []string) error {
	fs := pflag.NewFlagSet("runner", pflag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the loaded cluster (required)")
	fs.StringVar(&o.loaded, "loaded", "", "the loader's output (JSON): the profile and the namespaces (required)")
	fs.StringVar(&o.out, "out", "_output/bench", "where results and the tools' output go")
	fs.StringVar(&o.bin, "bin", "_output/bench/bin", "directory of gather, kubectl-must_gather and floor")
	fs.StringVar(&o.image, "image", "", "the image the client runs (loaded into the node; required for the client)")
	fs.StringVar(&o.kubectl, "kubectl", "", "the kubectl of cluster-info dump (default: the harness's, of the server's version, from --cluster-dir; else kubectl on PATH)")
	fs.StringVar(&o.clusterDir, "cluster-dir", "", "the test cluster's state directory (its record names the harness's kubectl)")
	fs.StringVar(&o.compression, "compression", "", "output of go test -bench BenchmarkAuditCompression to include")
	fs.StringVar(&o.benchmarksMD, "benchmarks-md", "", "BENCHMARKS.md, whose section of this profile is replaced by the table")
	fs.IntVar(&o.runs, "runs", 3, "runs of each tool")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound of one run of one tool")
	fs.StringSliceVar(&o.tools, "tools", allTools, "tools to measure")
	fs.BoolVar(&o.keep, "keep", false, "keep what the tools wrote (else removed once counted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	if o.kubeconfig == "" || o.loaded == "" {
		errs = append(errs, errors.New("--kubeconfig and --loaded are required"))
	}
	if o.runs < 1 {
		errs = append(errs, errors.New("--runs must be at least 1"))
	}
	for _, t := range o.tools {
		if !slices.Contains(allTools, t) {
			errs = append(errs, fmt.Errorf("unknown tool %q (known: %s)", t, strings.Join(allTools, ", ")))
		}
	}
	if slices.Contains(o.tools, bench.ToolClient) && o.image == "" {
		errs = append(errs, errors.New("the client needs --image"))
	}
	return errors.Join(errs...)
}

// loaded is the part of the loader's output the runner reads.
type loaded struct {
	Profile    bench.Profile `json:"profile"`
	Namespaces []string      `json:"namespaces"`
}

func run(ctx context.Context, args []string) error {
	var o options
	if err := o.parse(args); err != nil {
		return err
	}
	var l loaded
	b, err := os.ReadFile(o.loaded)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("reading %s: %w", o.loaded, err)
	}
	if len(l.Namespaces) == 0 {
		return fmt.Errorf("%s names no namespace", o.loaded)
	}
	if o.kubectl == "" {
		o.kubectl = harnessKubectl(o.clusterDir)
	}
	res := &bench.Results{Profile: l.Profile, Started: time.Now().UTC(), Namespaces: len(l.Namespaces)}
	res.Machine = machine(ctx, o.kubeconfig, o.kubectl)
	if o.compression != "" {
		f, err := os.Open(o.compression)
		if err != nil {
			return err
		}
		res.Compression, err = bench.ParseCompression(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.compression, err)
		}
	}
	if l.Profile.Name == "scale" {
		res.LargeMaxRSSMiB = largeRSS(filepath.Join(o.out, "results-large.json"))
	}
	tools := o.commands(l)
	for round := range o.runs {
		for i := range tools {
			t := &tools[i]
			fmt.Fprintf(os.Stderr, "runner: round %d/%d: %s\n", round+1, o.runs, t.Name)
			r := o.measure(ctx, t, round)
			t.Runs = append(t.Runs, r)
			fmt.Fprintf(os.Stderr, "runner:   %.1f s wall, %.1f s CPU, %d MiB, %d objects, %d logs, exit %d %s\n",
				r.WallSeconds, r.CPUSeconds, r.MaxRSSBytes>>20, r.Objects, r.Logs, r.ExitCode, r.Error)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for _, t := range tools {
		res.Tools = append(res.Tools, t.Tool)
	}
	res.Seconds = time.Since(res.Started).Seconds()
	res.Machine.LoadAfter = loadAverage()
	res.CheckTargets()
	return o.write(res)
}

// tool is a tool to measure: its command, and where it writes (the
// runner's part of its arguments).
type tool struct {
	bench.Tool
	args func(dest string) []string
}

func (o *options) commands(l loaded) []tool {
	ns := l.Namespaces
	nsArgs := make([]string, len(ns))
	for i, n := range ns {
		nsArgs[i] = "ns/" + n
	}
	bin := func(name string) string { return filepath.Join(o.bin, name) }
	var out []tool
	for _, name := range o.tools {
		var t tool
		t.Name = name
		switch name {
		case bench.ToolInspect:
			t.args = func(dest string) []string {
				return append([]string{bin("gather"), "inspect", "--kubeconfig", o.kubeconfig, "--dest-dir", dest}, nsArgs...)
			}
		case bench.ToolInspectFast:
			t.Note = "--qps 1000 --burst 2000"
			t.args = func(dest string) []string {
				return append([]string{bin("gather"), "inspect", "--kubeconfig", o.kubeconfig, "--dest-dir", dest, "--qps", "1000", "--burst", "2000"}, nsArgs...)
			}
		case bench.ToolGather:
			t.Note = "the default gather.d, whole cluster"
			t.args = func(dest string) []string {
				return []string{bin("gather"), "--kubeconfig", o.kubeconfig, "--dest-dir", dest}
			}
		case bench.ToolClient:
			t.Note = "CPU and RSS of the client process; the gather runs in a pod"
			t.args = func(dest string) []string {
				return []string{bin("kubectl-must_gather"), "--kubeconfig", o.kubeconfig, "--dest-dir", dest,
					"--image", o.image, "--timeout", o.timeout.String()}
			}
		case bench.ToolKubectl:
			// Pods on simulated nodes have no log to read (their addresses
			// end in a sink): with them, kubectl gets the namespaces the
			// others gather instead of all of them.
			if l.Profile.SimulatedPods > 0 {
				t.Note = "--namespaces of the gathered ones"
				t.args = func(dest string) []string {
					return []string{o.kubectl, "--kubeconfig", o.kubeconfig, "cluster-info", "dump", "--namespaces", strings.Join(ns, ","), "--output-directory", dest}
				}
			} else {
				t.Note = "--all-namespaces"
				t.args = func(dest string) []string {
					return []string{o.kubectl, "--kubeconfig", o.kubeconfig, "cluster-info", "dump", "--all-namespaces", "--output-directory", dest}
				}
			}
		case bench.ToolFloor:
			t.Note = "bytes received, nothing written"
			t.args = func(string) []string {
				return append([]string{bin("floor"), "--kubeconfig", o.kubeconfig}, ns...)
			}
		}
		t.Command = abbreviate(t.args("DEST"), ns)
		out = append(out, t)
	}
	return out
}

// abbreviate shortens the namespace list of a command for the record.
func abbreviate(cmd, ns []string) []string {
	var out []string
	n := 0
	for _, a := range cmd {
		if slices.Contains(ns, strings.TrimPrefix(a, "ns/")) {
			n++
			if n == 1 {
				out = append(out, fmt.Sprintf("<%d namespaces: %s ...>", len(ns), a))
			}
			continue
		}
		if strings.Contains(a, ns[0]+",") {
			a = fmt.Sprintf("<%d namespaces, comma-separated>", len(ns))
		}
		out = append(out, a)
	}
	return out
}

// measure runs a tool once and counts what it wrote.
func (o *options) measure(ctx context.Context, t *tool, round int) bench.Run {
	id := fmt.Sprintf("%s-%d", t.Name, round+1)
	dest := filepath.Join(o.out, "runs", id)
	var r bench.Run
	if err := os.RemoveAll(dest); err != nil {
		r.Error = err.Error()
		return r
	}
	logDir := filepath.Join(o.out, "logs")
	if err := os.MkdirAll(logDir, 0o750); err != nil {
		r.Error = err.Error()
		return r
	}
	stderr, err := os.Create(filepath.Join(logDir, id+".log"))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	argv := t.args(dest)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	r.WallSeconds = time.Since(start).Seconds()
	if cmd.ProcessState != nil {
		r.ExitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.CPUSeconds = tv(ru.Utime) + tv(ru.Stime)
			r.MaxRSSBytes = ru.Maxrss << 10 // KiB on Linux
		}
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.Error = err.Error()
	}
	if ctx.Err() != nil {
		r.Error = fmt.Sprintf("timed out after %s", o.timeout)
	}
	fmt.Fprintf(stderr, "\nrunner: %s exited %d after %.1f s\n", strings.Join(t.Command, " "), r.ExitCode, r.WallSeconds)
	if t.Name == bench.ToolFloor {
		var rep struct {
			Objects, Logs, Bytes int64
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			r.Error = errors.Join(errors.New(r.Error), fmt.Errorf("reading the floor's report %q: %w", stdout.String(), err)).Error()
		}
		r.Objects, r.Logs, r.Received = rep.Objects, rep.Logs, rep.Bytes
		return r
	}
	if g, err := bench.CountDir(dest); err != nil {
		r.Error = strings.TrimSpace(r.Error + " " + err.Error())
	} else {
		r.Gathered = g
	}
	if !o.keep {
		if err := os.RemoveAll(dest); err != nil {
			r.Error = strings.TrimSpace(r.Error + " " + err.Error())
		}
	}
	return r
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// write prints the table and writes the results.
func (o *options) write(res *bench.Results) error {
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		return err
	}
	if _, err := os.Stdout.Write(table.Bytes()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	name := res.Profile.Name
	for file, data := range map[string][]byte{
		"results.json":              js,
		"results-" + name + ".json": js,
		"table-" + name + ".md":     table.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(o.out, file), data, 0o640); err != nil {
			return err
		}
	}
	if o.benchmarksMD == "" {
		return nil
	}
	doc, err := os.ReadFile(o.benchmarksMD)
	if err != nil {
		return err
	}
	section := fmt.Sprintf("Measured %s, in %.0f s.\n\n%s", res.Started.Format("2006-01-02 15:04 MST"), res.Seconds, table.String())
	updated, err := replaceSection(string(doc), name, section)
	if err != nil {
		return fmt.Errorf("%s: %w", o.benchmarksMD, err)
	}
	return os.WriteFile(o.benchmarksMD, []byte(updated), 0o644)
}

// replaceSection replaces what is between the markers of a profile's
// results in BENCHMARKS.md.
func replaceSection(doc, profile, body string) (string, error) {
	begin, end := "<!-- results:"+profile+" -->\n", "<!-- end results:"+profile+" -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("no %q ... %q markers", strings.TrimSpace(begin), end)
	}
	return doc[:i+len(begin)] + body + doc[j:], nil
}

// harnessKubectl is the kubectl the harness built (of the server's
// version), or kubectl on PATH when there is none.
func harnessKubectl(clusterDir string) string {
	if clusterDir == "" {
		return "kubectl"
	}
	info, err := clusterinfo.Read(clusterDir)
	if err != nil || info.Kubectl == "" {
		return "kubectl"
	}
	if _, err := os.Stat(info.Kubectl); err != nil {
		return "kubectl"
	}
	return info.Kubectl
}

// largeRSS is inspect's median peak RSS in a result of large (0 when
// there is none).
func largeRSS(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var r bench.Results
	if json.Unmarshal(b, &r) != nil {
		return 0
	}
	t, ok := r.Tool(bench.ToolInspect)
	if !ok {
		return 0
	}
	return t.RSS().Median
}

// machine describes where the numbers come from.
func machine(ctx context.Context, kubeconfig, kubectl string) bench.Machine {
	m := bench.Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadBefore: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.MemoryBytes = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig); err == nil {
		if dc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
			if v, err := dc.ServerVersion(); err == nil {
				m.ServerVersion = v.GitVersion
			}
		}
	}
	if out, err := exec.CommandContext(ctx, kubectl, "version", "--client", "-o", "json").Output(); err == nil {
		var v struct {
			ClientVersion struct{ GitVersion string } `json:"clientVersion"`
		}
		if json.Unmarshal(out, &v) == nil {
			m.Kubectl = v.ClientVersion.GitVersion
		}
	}
	return m
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

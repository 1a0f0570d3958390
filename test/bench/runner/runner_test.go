package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/test/bench"
	"github.com/must-gather/toolkit/test/clusterinfo"
)

func TestParse(t *testing.T) {
	t.Parallel()
	var o options
	err := o.parse([]string{"--runs", "0", "--tools", "inspect,client,oc"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"--kubeconfig and --loaded", "--runs", `unknown tool "oc"`, "--image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// measure runs the child, takes its rusage, counts what it wrote and
// removes it.
func TestMeasure(t *testing.T) {
	t.Parallel()
	o := options{out: t.TempDir(), timeout: time.Minute}
	tl := tool{Tool: bench.Tool{Name: "sh"}, args: func(dest string) []string {
		return []string{"sh", "-c", `mkdir -p "$1/namespaces/a/pods/p/c/c/logs" && echo log > "$1/namespaces/a/pods/p/c/c/logs/current.log" && exit 3`, "sh", dest}
	}}
	r := o.measure(t.Context(), &tl, 0)
	if r.ExitCode != 3 || r.Error != "" || r.Files != 1 || r.Logs != 1 || r.Bytes != 4 || r.WallSeconds <= 0 || r.MaxRSSBytes <= 0 {
		t.Errorf("measure = %+v, want exit 3, one log of 4 bytes, a wall time and a peak RSS", r)
	}
	if _, err := os.Stat(filepath.Join(o.out, "runs", "sh-1")); !os.IsNotExist(err) {
		t.Errorf("the run's output is still there (%v)", err)
	}
	if b, err := os.ReadFile(filepath.Join(o.out, "logs", "sh-1.log")); err != nil || !strings.Contains(string(b), "exited 3") {
		t.Errorf("the run's log %q (%v) does not say how it ended", b, err)
	}

	o.timeout = 100 * time.Millisecond
	slow := tool{Tool: bench.Tool{Name: "slow"}, args: func(string) []string { return []string{"sleep", "10"} }}
	if r := o.measure(t.Context(), &slow, 0); !strings.Contains(r.Error, "timed out") || r.WallSeconds > 5 {
		t.Errorf("measure of a run past its bound = %+v, want a timeout", r)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	o := options{kubeconfig: "kc", bin: "bin", kubectl: "kubectl", image: "img", timeout: time.Minute, tools: allTools}
	p, _ := bench.LookupProfile("scale")
	tools := o.commands(loaded{Profile: p, Namespaces: []string{"n1", "n2"}})
	got := map[string]string{}
	for _, tl := range tools {
		got[tl.Name] = strings.Join(tl.args("D"), " ")
	}
	want := map[string]string{
		bench.ToolInspect:     "bin/gather inspect --kubeconfig kc --dest-dir D ns/n1 ns/n2",
		bench.ToolInspectFast: "bin/gather inspect --kubeconfig kc --dest-dir D --qps 1000 --burst 2000 ns/n1 ns/n2",
		bench.ToolGather:      "bin/gather --kubeconfig kc --dest-dir D",
		bench.ToolClient:      "bin/kubectl-must_gather --kubeconfig kc --dest-dir D --image img --timeout 1m0s",
		bench.ToolKubectl:     "kubectl --kubeconfig kc cluster-info dump --namespaces n1,n2 --output-directory D",
		bench.ToolFloor:       "bin/floor --kubeconfig kc n1 n2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bin/gather", "inspect", "--kubeconfig", "kc", "--dest-dir", "DEST", "<2 namespaces: ns/n1 ...>"}, tools[0].Command); diff != "" {
		t.Errorf("recorded command (-want +got):\n%s", diff)
	}
	small, _ := bench.LookupProfile("small")
	for _, tl := range o.commands(loaded{Profile: small, Namespaces: []string{"n1"}}) {
		if tl.Name == bench.ToolKubectl && !strings.Contains(strings.Join(tl.args("D"), " "), "--all-namespaces") {
			t.Errorf("kubectl without simulated pods: %q, want --all-namespaces", tl.args("D"))
		}
	}
}

func TestHarnessKubectl(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got := harnessKubectl(dir); got != "kubectl" {
		t.Errorf("without a record: %q, want kubectl", got)
	}
	kubectl := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(kubectl, []byte("#!/bin/sh\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := clusterinfo.Write(dir, clusterinfo.Info{Kubectl: kubectl}); err != nil {
		t.Fatal(err)
	}
	if got := harnessKubectl(dir); got != kubectl {
		t.Errorf("with the harness's: %q, want %q", got, kubectl)
	}
	if err := clusterinfo.Write(dir, clusterinfo.Info{Kubectl: filepath.Join(dir, "gone")}); err != nil {
		t.Fatal(err)
	}
	if got := harnessKubectl(dir); got != "kubectl" {
		t.Errorf("with a recorded kubectl that is gone: %q, want kubectl", got)
	}
}

func TestReplaceSection(t *testing.T) {
	t.Parallel()
	doc := "# B\n<!-- results:small -->\nold\n<!-- end results:small -->\n<!-- results:large -->\nkeep\n<!-- end results:large -->\n"
	got, err := replaceSection(doc, "small", "new\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# B\n<!-- results:small -->\nnew\n<!-- end results:small -->\n<!-- results:large -->\nkeep\n<!-- end results:large -->\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replaceSection (-want +got):\n%s", diff)
	}
	if _, err := replaceSection(doc, "scale", "x"); err == nil {
		t.Error("no error for a profile without markers")
	}
}

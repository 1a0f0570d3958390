package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/must-gather/toolkit/pkg/analyze"
)

// TestCountsRequests is the control of the request count: a page that
// loads an image and a script is seen making both requests, and a page
// that loads nothing makes none.
func TestCountsRequests(t *testing.T) {
	dir := t.TempDir()
	loads := filepath.Join(dir, "loads.html")
	quiet := filepath.Join(dir, "quiet.html")
	// 127.0.0.1:9 (discard) refuses at once: no traffic leaves the machine.
	if err := os.WriteFile(loads, []byte(`<html><body>loads<img src="http://127.0.0.1:9/x.png"><script src="http://127.0.0.1:9/x.js"></script></body></html>`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(quiet, []byte(`<html><body><p>quiet page</p></body></html>`), 0o640); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	b, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := b.Open(ctx, "file://"+loads)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Requests) < 2 {
		t.Errorf("a page loading an image and a script: want 2 requests counted, got %q", r.Requests)
	}
	r, err = b.Open(ctx, "file://"+quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Requests) != 0 || !strings.Contains(r.Text, "quiet page") {
		t.Errorf("a page loading nothing: want no request and its text, got %q and %q", r.Requests, r.Text)
	}
}

// writeSyntheticBundle writes a bundle of exactly files files: namespaces
// of 50 files each (pod lists with a crash-looping pod and a pending one,
// events, deployments, and container logs), so that its analysis has more
// findings than the page shows.
func writeSyntheticBundle(tb testing.TB, root string, files int) {
	tb.Helper()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			tb.Fatal(err)
		}
		files--
	}
	for ns := 0; files > 0; ns++ {
		n := fmt.Sprintf("ns-%05d", ns)
		write("namespaces/"+n+"/"+n+".yaml", "kind: Namespace\nmetadata: {name: "+n+"}\n")
		write("namespaces/"+n+"/core/pods.yaml", `kind: PodList
items:
- metadata: {name: crasher, namespace: `+n+`}
  status: {phase: Running, containerStatuses: [{name: c, restartCount: 9, state: {waiting: {reason: CrashLoopBackOff}}}]}
- metadata: {name: lost, namespace: `+n+`}
  status: {phase: Pending, conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, message: no node}]}
`)
		write("namespaces/"+n+"/core/events.yaml", "kind: EventList\nitems:\n- metadata: {name: e, namespace: "+n+"}\n  type: Warning\n  reason: BackOff\n  count: "+fmt.Sprint(ns%97+1)+"\n  involvedObject: {kind: Pod, namespace: "+n+", name: crasher}\n")
		write("namespaces/"+n+"/apps/deployments.yaml", "kind: DeploymentList\nitems:\n- metadata: {name: web, namespace: "+n+"}\n  spec: {replicas: 3}\n  status: {availableReplicas: 1}\n")
		for i := 0; i < 46 && files > 0; i++ {
			write(fmt.Sprintf("namespaces/%s/pods/p%02d/c/c/logs/current.log", n, i), "a line of a log\n")
		}
	}
}

// BenchmarkIndexPage100k renders index.html of a synthetic bundle of
// 100,000 files in headless Chromium and reports the render time (ms/page,
// navigation to the load event), the analysis time and the page's size.
func BenchmarkIndexPage100k(b *testing.B) {
	root := b.TempDir()
	writeSyntheticBundle(b, root, 100_000)
	ctx := b.Context()
	start := time.Now()
	write := func(name string, data []byte) error { return os.WriteFile(filepath.Join(root, name), data, 0o640) }
	r, err := analyze.Write(ctx, os.DirFS(root), write, analyze.Options{})
	if err != nil {
		b.Fatal(err)
	}
	analysis := time.Since(start)
	if r.Files != 100_000 {
		b.Fatalf("the bundle has %d files, want 100000", r.Files)
	}
	page, err := os.Stat(filepath.Join(root, analyze.PageFile))
	if err != nil {
		b.Fatal(err)
	}
	br, err := Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	var total float64
	b.ResetTimer()
	for b.Loop() {
		res, err := br.Open(ctx, "file://"+filepath.Join(root, analyze.PageFile))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Requests) != 0 {
			b.Fatalf("the page made requests: %q", res.Requests)
		}
		total += res.Seconds
	}
	b.ReportMetric(total*1000/float64(b.N), "ms/render")
	b.ReportMetric(analysis.Seconds(), "s/analysis")
	b.ReportMetric(float64(page.Size())/1024, "KiB/page")
	b.ReportMetric(float64(len(r.Findings)), "findings")
	b.Logf("%d files, %d findings (%d on the page), analysis %s, page %d KiB, render %.0f ms", r.Files, len(r.Findings), min(len(r.Findings), 1000), analysis.Round(time.Millisecond), page.Size()/1024, total*1000/float64(b.N))
}

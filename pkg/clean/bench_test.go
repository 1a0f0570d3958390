package clean

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// writeBenchBundle writes a bundle of about size bytes (uncompressed) that
// looks like a gather's: gzipped audit logs (JSON events naming nodes and
// addresses), pod logs and YAML lists of pods, on 20 nodes under one
// domain. It returns the uncompressed size.
func writeBenchBundle(tb testing.TB, dir string, size int) int64 {
	tb.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	// 5,000 addresses: the pods and nodes of a large cluster.
	pool := make([]string, 5000)
	for i := range pool {
		pool[i] = fmt.Sprintf("10.%d.%d.%d", rnd.IntN(256), rnd.IntN(256), 1+rnd.IntN(254))
	}
	ip := func() string { return pool[rnd.IntN(len(pool))] }
	node := func() string { return fmt.Sprintf("worker-%d", rnd.IntN(20)) }
	var total int64
	write := func(name string, gz bool, line func(i int) string, n int) {
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			tb.Fatal(err)
		}
		f, err := os.Create(full)
		if err != nil {
			tb.Fatal(err)
		}
		var w io.Writer = f
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(f)
			w = zw
		}
		for written := 0; written < n; {
			s := line(written)
			if _, err := io.WriteString(w, s); err != nil {
				tb.Fatal(err)
			}
			written += len(s)
			total += int64(len(s))
		}
		if zw != nil {
			if err := zw.Close(); err != nil {
				tb.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	write("cluster-scoped-resources/core/nodes.yaml", false, func(i int) string {
		n := fmt.Sprintf("worker-%d", i%20)
		return fmt.Sprintf("---\nkind: Node\nmetadata:\n  name: %s\nstatus:\n  addresses:\n  - {type: InternalIP, address: %s}\n  - {type: Hostname, address: %s.c1.corp.example.com}\n", n, ip(), n)
	}, 20*150)
	part := size / 10
	for i := range 4 {
		write(fmt.Sprintf("audit_logs/kube-apiserver/%s-audit-%d.log.gz", node(), i), true, func(int) string {
			return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%08x-1f2e-4c3d-9a8b-%012x","stage":"ResponseComplete","requestURI":"/api/v1/pods?fieldSelector=spec.nodeName%%3D%s\u0026limit=500","verb":"list","user":{"username":"system:node:%s","groups":["system:nodes","system:authenticated"]},"sourceIPs":["%s"],"userAgent":"kubelet/v1.37.2 (linux/amd64) kubernetes/abcdef0","responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-12-06T05:23:00.123456Z","stageTimestamp":"2026-12-06T05:23:00.133456Z"}`+"\n",
				rnd.Uint32(), rnd.Uint64()&0xffffffffffff, node(), node(), ip())
		}, part)
	}
	for i := range 3 {
		write(fmt.Sprintf("namespaces/app-%d/pods/web-%d/web/web/logs/current.log", i, i), false, func(int) string {
			return fmt.Sprintf("2026-12-06T05:23:00.%06dZ I1206 05:23:00.123456       1 server.go:%d] GET /healthz from %s:%d to pod on %s: 200 OK in %dms\n",
				rnd.IntN(1e6), rnd.IntN(900), ip(), 1024+rnd.IntN(60000), node(), rnd.IntN(100))
		}, part)
	}
	for i := range 3 {
		write(fmt.Sprintf("namespaces/app-%d/core/pods.yaml", i), false, func(int) string {
			return fmt.Sprintf("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-%x\n    namespace: app\n    labels:\n      app: web\n  spec:\n    nodeName: %s\n    containers:\n    - name: web\n      image: quay.io/org/web@sha256:%064x\n  status:\n    hostIP: %s\n    podIP: %s\n    podIPs:\n    - ip: %s\n    phase: Running\n    startTime: \"2026-12-06T05:23:00Z\"\n",
				rnd.Uint32(), node(), rnd.Uint64(), ip(), ip(), ip())
		}, part)
	}
	return total
}

// BenchmarkClean cleans a bundle of 64 MiB (uncompressed) that looks like a
// gather's; MB/s counts uncompressed input.
func BenchmarkClean(b *testing.B) {
	src := b.TempDir()
	total := writeBenchBundle(b, src, 64<<20)
	b.SetBytes(total)
	// CPU time as well as wall time: on a shared machine the wall time
	// says more about the neighbours than about the cleaning.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	n := 0
	defer func() {
		if n > 0 {
			per := (cpu() - start) / time.Duration(n)
			b.ReportMetric(per.Seconds(), "cpu-s/op")
			b.ReportMetric(float64(total)/1e6/per.Seconds(), "MB/cpu-s")
		}
	}()
	for i := 0; b.Loop(); i++ {
		n++
		m := NewMapping()
		out := filepath.Join(b.TempDir(), fmt.Sprint(i))
		r, err := Clean(b.Context(), os.DirFS(src), out, m, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Totals["ipv4"] == 0 || r.Totals["domain"] == 0 || r.Totals["name"] == 0 {
			b.Fatalf("nothing replaced: %v", r.Totals)
		}
		b.ReportMetric(float64(m.Len()), "values")
		b.StopTimer()
		if err := os.RemoveAll(out); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkScan is the detectors alone on one log line.
func BenchmarkScan(b *testing.B) {
	line := []byte(strings.Repeat("2026-12-06T05:23:00.123456Z GET /healthz from 10.1.2.3:41234 to pod on worker-7.c1.corp.example.com: 200 OK in 3ms\n", 1))
	sc := newScanner(newMatcher(testMapping()))
	var dst []byte
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		dst = sc.clean(dst[:0], line, new(counts))
	}
}

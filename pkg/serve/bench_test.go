package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// benchPod is a pod as a gather writes it, about 1.5 KiB.
const benchPod = `apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  namespace: %[2]s
  uid: 6c1f3a52-0000-4000-8000-%012[3]d
  creationTimestamp: "2026-01-02T03:04:05Z"
  labels: {app: bench, pod-template-hash: 5d8f7c9b6d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: bench-5d8f7c9b6d, uid: 0b2c, controller: true}]
spec:
  nodeName: node-%[4]d
  restartPolicy: Always
  serviceAccountName: default
  containers:
  - name: main
    image: registry.example/bench:1.0
    args: [--port=8080, --verbose]
    ports: [{containerPort: 8080, protocol: TCP}]
    resources: {requests: {cpu: 10m, memory: 20Mi}}
  - name: sidecar
    image: registry.example/sidecar:1.0
status:
  phase: Running
  podIP: 10.1.%[4]d.%[5]d
  hostIP: 192.168.0.%[4]d
  startTime: "2026-01-02T03:04:06Z"
  conditions:
  - {type: Initialized, status: "True", lastTransitionTime: "2026-01-02T03:04:06Z"}
  - {type: Ready, status: "True", lastTransitionTime: "2026-01-02T03:04:09Z"}
  - {type: ContainersReady, status: "True", lastTransitionTime: "2026-01-02T03:04:09Z"}
  - {type: PodScheduled, status: "True", lastTransitionTime: "2026-01-02T03:04:05Z"}
  containerStatuses:
  - name: main
    ready: true
    restartCount: 1
    started: true
    image: registry.example/bench:1.0
    imageID: registry.example/bench@sha256:0123
    containerID: containerd://abc
    state: {running: {startedAt: "2026-01-02T03:04:08Z"}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "2026-01-02T03:04:06Z", finishedAt: "2026-01-02T03:04:07Z"}}
  - name: sidecar
    ready: true
    restartCount: 0
    started: true
    image: registry.example/sidecar:1.0
    imageID: registry.example/sidecar@sha256:4567
    containerID: containerd://def
    state: {running: {startedAt: "2026-01-02T03:04:08Z"}}
`

// benchBundle writes a bundle of files pod files: 1,000 namespaces of
// files/1000 pods, each in its own file.
func benchBundle(b *testing.B, files int) string {
	b.Helper()
	dir := b.TempDir()
	perNS := files / 1000
	for n := range 1000 {
		ns := fmt.Sprintf("ns-%04d", n)
		for p := range perNS {
			name := fmt.Sprintf("bench-5d8f7c9b6d-%05d", p)
			pd := filepath.Join(dir, "namespaces", ns, "pods", name)
			if err := os.MkdirAll(pd, 0o750); err != nil {
				b.Fatal(err)
			}
			body := fmt.Sprintf(benchPod, name, ns, n*perNS+p, n%250, p%250)
			if err := os.WriteFile(filepath.Join(pd, name+".yaml"), []byte(body), 0o640); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dir
}

// cpuTime is the CPU time (user and system) of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapMiB is the live heap after a collection.
func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// benchSizes are the bundles measured: pod files.
var benchSizes = []int{10_000, 100_000}

// BenchmarkIndex measures the start of gather serve on bundles of pod
// files: the time to index one and the heap the index keeps.
func BenchmarkIndex(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) { benchIndex(b, n) })
	}
}

func benchIndex(b *testing.B, files int) {
	dir := benchBundle(b, files)
	fsys := os.DirFS(dir)
	before := heapMiB()
	cpu := cpuTime(b)
	var ix *Index
	b.ResetTimer()
	for b.Loop() {
		var err error
		if ix, err = NewIndex(context.Background(), fsys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if ix.Objects != files {
		b.Fatalf("%d objects indexed, want %d", ix.Objects, files)
	}
	// On a shared machine the wall time says little: the CPU time is
	// what indexing costs.
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(heapMiB()-before, "MiB-index")
	runtime.KeepAlive(ix)
}

// BenchmarkGetPodsAllNamespaces measures `kubectl get pods -A` on those
// bundles: the Table of every pod, served from the index.
func BenchmarkGetPodsAllNamespaces(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) { benchGetPods(b, n) })
	}
}

func benchGetPods(b *testing.B, files int) {
	dir := benchBundle(b, files)
	ix, err := NewIndex(context.Background(), os.DirFS(dir), Options{})
	if err != nil {
		b.Fatal(err)
	}
	h := Handler(ix, "")
	var size int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
		req.Header.Set("Accept", tableAccept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d: %s", rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB-response")
}

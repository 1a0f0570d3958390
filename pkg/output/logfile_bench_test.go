package output

import (
	"fmt"
	"path/filepath"
	"testing"
)

// Writing one 200 MiB container log through CreateLog (the line rules,
// then the tail-keeping file) on disk, in the 32 KiB pieces io.Copy hands
// on, beside the plain Create; with no --max-log-size, with the default (100Mi: a 200 MiB log is cut in
// half) and with a small one. Run with
//
//	go test -run '^$' -bench BenchmarkLogFile -benchtime 3x ./pkg/output
//
// MB/s counts the log's bytes; "kept-MiB" is the size of the file written.
// For a peak RSS, run one case alone under /usr/bin/time -v (the ring is a
// file: memory does not grow with the limit).
func BenchmarkLogFile(b *testing.B) {
	const logSize = 200 << 20
	chunk := logChunk(32 << 10)
	for _, tc := range []struct {
		name   string
		limit  int64
		create bool // sink.Create, the plain file logs went through before
	}{
		{"Create", 0, true},
		{"limit=none", 0, false},
		{"limit=100Mi", 100 << 20, false},
		{"limit=1Mi", 1 << 20, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(logSize)
			var kept int64
			for i := 0; b.Loop(); i++ {
				s, err := New(filepath.Join(b.TempDir(), fmt.Sprint(i)), Options{MaxLogSize: tc.limit})
				if err != nil {
					b.Fatal(err)
				}
				var f interface {
					Write([]byte) (int, error)
					Close() error
				}
				if tc.create {
					f, err = s.Create("pod.log")
				} else {
					f, err = s.CreateLog("pod.log")
				}
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < logSize; n += len(chunk) {
					if _, err := f.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				kept = s.Total().Bytes()
			}
			b.ReportMetric(float64(kept)/(1<<20), "kept-MiB")
		})
	}
}

// logChunk is n bytes of log lines as a kubelet sends them with
// --timestamps.
func logChunk(n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		out = fmt.Appendf(out, "2026-12-06T05:23:%02d.%09dZ I1206 controller.go:%d] reconciled object %d in namespace app-%d\n", i%60, i, i%900, i, i%17)
	}
	return out[:n]
}

package bundle

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkWrite archives a folder of log-like files (64 files, 48 MiB)
// with pgzip on every CPU and on one: MB/s of the folder's bytes, and the
// archive's size as a share of them.
//
//	go test -run '^$' -bench Write -benchtime 5x ./pkg/bundle
func BenchmarkWrite(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "mg")
	r := rand.New(rand.NewPCG(5, 6))
	var size int64
	words := []string{"GET", "PUT", "/api/v1/namespaces/default/pods", "200", "404", "reconciling", "watch", "error:", "connection", "refused", "INFO", "WARN"}
	for i := range 64 {
		var sb strings.Builder
		for sb.Len() < 768<<10 {
			fmt.Fprintf(&sb, "2026-01-01T00:%02d:%02d.%06dZ", r.IntN(60), r.IntN(60), r.IntN(1e6))
			for range 8 {
				sb.WriteString(" " + words[r.IntN(len(words))])
			}
			fmt.Fprintf(&sb, " id=%x\n", r.Uint64())
		}
		p := filepath.Join(dir, fmt.Sprintf("ns-%d", i%8), fmt.Sprintf("pod-%d.log", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(sb.String()), 0o640); err != nil {
			b.Fatal(err)
		}
		size += int64(sb.Len())
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"pgzip-all-cpus", 0}, {"one-core", 1}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			var a *Archive
			for b.Loop() {
				var err error
				if a, err = Write(b.Context(), dir, filepath.Join(b.TempDir(), "mg.tar.gz"), Options{Concurrency: c.n}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(a.Bytes)/float64(size)*100, "%size")
		})
	}
}

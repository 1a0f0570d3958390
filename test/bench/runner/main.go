// Command runner measures the tools of the benchmark on the loaded
// cluster (see BENCHMARKS.md; hack/bench.sh builds and runs everything):
// each tool --runs times, in rounds (every tool once, then again), as child
// processes: wall time, user+sys CPU and peak RSS (wait4), what each wrote
// (files, bytes, objects in list files, container logs). It prints the
// table, writes DIR/results.json (and results-PROFILE.json, table-PROFILE.md)
// and, with --benchmarks-md, the profile's section of BENCHMARKS.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

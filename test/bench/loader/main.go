// Command loader fills the test cluster with the benchmark's synthetic
// workload (see BENCHMARKS.md), sized by a profile and flags, and removes it
// again. It is idempotent: what exists is kept, what is missing is created.
// Everything it makes carries the label bench.must-gather.io/loader=true.
//
//	loader --profile small|large|scale [--namespaces N ...]   load, then print what was loaded (JSON)
//	loader --delete                                           remove everything it made
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
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}

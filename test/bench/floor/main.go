// Command floor is the benchmark's floor: a bare parallel client that
// fetches what `gather inspect` of the given namespaces fetches (discovery,
// each namespace, a paged list of every listable namespaced type at its
// group's preferred version, the current log of every container that
// started and the previous log of every one that restarted) and discards
// it, so its time is the speed limit of this API server on this machine.
// It prints one JSON line: objects, logs, lists and bytes received.
//
//	floor [--kubeconfig FILE] [--parallel 8] [--chunk-size 500] [--qps 0] NAMESPACE...
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	var o options
	if err := o.parse(args); err != nil {
		return err
	}
	return o.run(ctx, stdout, stderr)
}

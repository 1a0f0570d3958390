// Command gather is the entry point of a must-gather image (/usr/bin/gather).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/must-gather/toolkit/pkg/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, app.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, app.Args(os.Args[0], os.Args[1:]))
	stop()
	os.Exit(code)
}

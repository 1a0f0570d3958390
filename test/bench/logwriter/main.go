// Command logwriter is the container of the benchmark's pods (the loader's
// image): it writes about --bytes of log lines in the form of a Kubernetes
// controller's (klog), then waits for SIGTERM. With --fail-first FILE it
// exits 1 after writing when FILE does not exist yet (creating it), so
// the container restarts once (FILE on an emptyDir outlives the container)
// and a previous log exists.
//
//	logwriter --bytes 1048576 [--fail-first /state/ran]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fset := flag.NewFlagSet("logwriter", flag.ContinueOnError)
	size := fset.Int64("bytes", 1<<20, "bytes of log to write")
	failFirst := fset.String("fail-first", "", "exit 1 after writing when this file does not exist (and create it)")
	if err := fset.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	host, _ := os.Hostname()
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	if err := writeLog(w, host, *size); err != nil {
		fmt.Fprintln(os.Stderr, "logwriter:", err)
		os.Exit(1)
	}
	if *failFirst != "" {
		f, err := os.OpenFile(*failFirst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		switch {
		case err == nil:
			_ = f.Close()
			fmt.Fprintln(os.Stderr, "logwriter: first run: exiting 1 so the container restarts")
			os.Exit(1)
		case !errors.Is(err, fs.ErrExist):
			fmt.Fprintln(os.Stderr, "logwriter:", err)
			os.Exit(1)
		}
	}
	<-ctx.Done()
}

// writeLog writes lines until at least size bytes are written.
func writeLog(w *bufio.Writer, host string, size int64) error {
	var n int64
	for i := 0; n < size; i++ {
		m, err := fmt.Fprintf(w, "I1202 10:%02d:%02d.%06d       1 controller.go:%d] \"Reconciled object\" controller=%q object=\"ns-%d/widget-%d\" duration=\"%d.%03dms\" attempt=%d\n",
			(i/60000)%60, (i/1000)%60, (i*7919)%1000000, 100+i%400, host, i%17, i%1009, i%50, (i*31)%1000, 1+i%3)
		if err != nil {
			return err
		}
		n += int64(m)
	}
	return w.Flush()
}

// Command pagecheck opens a file in headless Chromium and prints, as JSON,
// its rendered text, the requests it made and its render time: the e2e
// tests of the product module call it, so that module does not depend on
// chromedp.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/must-gather/toolkit/test/browser"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pagecheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: pagecheck FILE")
	}
	abs, err := filepath.Abs(os.Args[1])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	b, err := browser.Start(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	r, err := b.Open(ctx, "file://"+abs)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

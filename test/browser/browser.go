package browser

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Result is what a page did when it was opened.
type Result struct {
	// Text is the page's rendered text (document.body.innerText).
	Text string `json:"text"`
	// Requests are the URLs of every request the page made besides the
	// one that loaded it.
	Requests []string `json:"requests"`
	// Seconds is the time from navigation to the load event.
	Seconds float64 `json:"seconds"`
}

// ExecPath finds the Chromium binary (Debian's chromium package).
func ExecPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: hack/install-deps.sh installs Debian's chromium")
}

// Browser is one headless Chromium process.
type Browser struct {
	ctx    context.Context
	cancel func()
}

// Start launches headless Chromium with its own background networking off
// (no update checks, no safe browsing, no field trials), so every request
// counted is the page's.
func Start(ctx context.Context) (*Browser, error) {
	path, err := ExecPath()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // runs as root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return &Browser{ctx: bctx, cancel: func() { cancelBrowser(); cancelAlloc() }}, nil
}

// Close stops Chromium.
func (b *Browser) Close() { b.cancel() }

// Open loads url in a new tab and waits for its load event.
func (b *Browser) Open(ctx context.Context, url string) (Result, error) {
	tctx, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	var mu sync.Mutex
	var r Result
	err := chromedp.Listen(tctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.URL != url {
			mu.Lock()
			r.Requests = append(r.Requests, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		return Result{}, fmt.Errorf("opening a tab: %w", err)
	}
	if _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); err != nil {
		return Result{}, fmt.Errorf("enabling network events: %w", err)
	}
	start := time.Now()
	if err := chromedp.Do(tctx, chromedp.Navigate(url)); err != nil { // returns once the load event fired
		return Result{}, fmt.Errorf("opening %s: %w", url, err)
	}
	seconds := time.Since(start).Seconds()
	text, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return Result{}, fmt.Errorf("reading the text of %s: %w", url, err)
	}
	mu.Lock()
	defer mu.Unlock()
	r.Text, r.Seconds = text, seconds
	return r, nil
}

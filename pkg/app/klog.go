package app

import (
	"flag"
	"io"
	"strconv"
	"strings"
	"sync"

	"k8s.io/klog/v2"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/steps"
)

// klog, client-go's logger, is one per process: it is set up once, and its
// lines go to the run log of the gather running now.
var (
	klogOnce sync.Once
	klogOut  = &switchWriter{}
)

// klogTo sends client-go's own log lines (klog) to the run log, where a
// cancelled exec stream, for one, reports what it saw; with -v they go to
// errOut (the command's stderr, redacted by line) instead, at that
// verbosity (the first run of the process decides). The returned func
// detaches the run log and closes it.
func klogTo(sink *output.Sink, verbosity int, errOut io.Writer) func() {
	klogOnce.Do(func() {
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("logtostderr", "false")
		_ = fs.Set("stderrthreshold", "FATAL")
		if verbosity > 0 {
			for name, value := range klogVerbosity(verbosity) {
				_ = fs.Set(name, value)
			}
			klog.SetOutput(errOut)
			return
		}
		klog.SetOutput(klogOut)
	})
	if verbosity > 0 {
		return func() {}
	}
	runLog, err := sink.AppendMeta(steps.RunLogFile)
	if err != nil {
		return func() {}
	}
	klogOut.set(runLog)
	return func() {
		klogOut.unset(runLog)
		_ = runLog.Close()
	}
}

// clientBodyFiles are client-go's files (by base name, as klog's -vmodule
// matches them) that log request and response bodies (rest/request.go, at
// level 8: Secret lists among them) and request and response headers
// (transport/round_trippers.go, from level 7). They never log above
// maxClientVerbosity, whatever -v asks.
const (
	clientBodyFiles    = "request,round_trippers"
	maxClientVerbosity = 6
)

// klogVerbosity returns klog's flag settings for -v N. klog's -v enables a
// level everywhere and -vmodule can only add to it, so above
// maxClientVerbosity the global level stays there and -vmodule gives every
// file but clientBodyFiles the level asked for (the first pattern that
// matches a file wins).
func klogVerbosity(v int) map[string]string {
	if v <= maxClientVerbosity {
		return map[string]string{"v": strconv.Itoa(v)}
	}
	var mods []string
	for _, f := range strings.Split(clientBodyFiles, ",") {
		mods = append(mods, f+"="+strconv.Itoa(maxClientVerbosity))
	}
	mods = append(mods, "*="+strconv.Itoa(v))
	return map[string]string{"v": strconv.Itoa(maxClientVerbosity), "vmodule": strings.Join(mods, ",")}
}

// switchWriter writes to the writer set last (nowhere when none is).
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

// unset stops writing to w, if it is still the writer.
func (s *switchWriter) unset(w io.Writer) {
	s.mu.Lock()
	if s.w == w {
		s.w = nil
	}
	s.mu.Unlock()
}

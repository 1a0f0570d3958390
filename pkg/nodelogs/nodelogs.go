// Package nodelogs gathers the logs of host services (the kubelet, the
// container runtimes, the network and machine-config services) from the
// selected nodes (the control-plane nodes by default), as
// host_service_logs/masters/<unit>_service.log for control-plane nodes and
// host_service_logs/workers/<unit>_service.log for the others.
package nodelogs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/nodeagent"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
)

// DefaultUnits are the services whose logs are gathered: the kubelet, the
// container runtimes, and what the OpenShift must-gather scripts gather
// (a service a node does not have costs a query and leaves no file).
var DefaultUnits = []string{"kubelet", "crio", "containerd",
	"NetworkManager", "openvswitch", "ovs-configuration", "ovsdb-server", "ovs-vswitchd",
	"machine-config-daemon-firstboot", "machine-config-daemon-host"}

// DefaultSince is the since-window when none is given, as the OpenShift
// must-gather scripts use.
const DefaultSince = 7 * 24 * time.Hour

// Config is what to gather.
type Config struct {
	nodes.Reaching
	Units []string
	Now   func() time.Time
}

// Run gathers the service logs. Nodes are read side by side, each into
// files of its own, joined per unit in node order at the end. With several
// nodes, each line is prefixed with its node's name, as `oc adm node-logs`
// does.
func Run(ctx context.Context, sink *output.Sink, a nodes.Access, cfg Config) error {
	if len(cfg.Units) == 0 {
		cfg.Units = DefaultUnits
	}
	for _, u := range cfg.Units {
		if err := nodeagent.ValidUnit(u); err != nil {
			return err
		}
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	since := a.Since
	if since.IsZero() {
		since = now().Add(-DefaultSince)
	}
	parts := &pieces{sink: sink}
	out := parts.of
	prefix := func(node nodes.Node) string {
		if node.Selected > 1 {
			return node.Name + " "
		}
		return ""
	}
	errs := []error{cfg.Visit(ctx, a, "node-logs",
		func(ctx context.Context, node nodes.Node, exec nodes.Exec) error {
			var errs []error
			for _, unit := range cfg.Units {
				errs = append(errs, viaAgent(ctx, exec, out(node, unit), unit, since, now(), prefix(node)))
			}
			return errors.Join(errs...)
		},
		func(ctx context.Context, node nodes.Node, proxy nodes.LogProxy) error {
			var errs []error
			for _, unit := range cfg.Units {
				if err := viaProxy(ctx, proxy, node.Name, unit, out(node, unit), since, now(), prefix(node)); err != nil {
					errs = append(errs, fmt.Errorf("%s log: %w", unit, err))
				}
			}
			return errors.Join(errs...)
		})}
	errs = append(errs, parts.join())
	return errors.Join(errs...)
}

// pieces holds each node's piece of each file while the nodes are read
// side by side.
type pieces struct {
	sink *output.Sink
	mu   sync.Mutex
	m    map[string]map[string]*lazyFile // file -> node -> piece
}

// of returns node's piece of unit's file; it is made on the first line, so
// a service without a log leaves no file.
func (p *pieces) of(node nodes.Node, unit string) *lazyFile {
	rel := LogPath(node, unit)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[string]*lazyFile{}
	}
	if p.m[rel] == nil {
		p.m[rel] = map[string]*lazyFile{}
	}
	if p.m[rel][node.Name] == nil {
		p.m[rel][node.Name] = &lazyFile{sink: p.sink, rel: rel}
	}
	return p.m[rel][node.Name]
}

// join writes each file: the nodes' pieces in node order.
func (p *pieces) join() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, byNode := range p.m {
		names := make([]string, 0, len(byNode))
		for n := range byNode {
			names = append(names, n)
		}
		sort.Strings(names)
		var files []*output.File
		for _, n := range names {
			if l := byNode[n]; l.f != nil {
				files = append(files, l.f)
			}
		}
		if len(files) > 0 {
			errs = append(errs, files[0].Append(files[1:]...), files[0].Close())
		}
	}
	return errors.Join(errs...)
}

// LogPath is where a unit's log of a node goes, as the OpenShift
// must-gather scripts lay it out: host_service_logs/masters/ for
// control-plane nodes, host_service_logs/workers/ for the others.
func LogPath(node nodes.Node, unit string) string {
	dir := "workers"
	if node.ControlPlane {
		dir = "masters"
	}
	return path.Join("host_service_logs", dir, unit+"_service.log")
}

// viaProxy copies one unit's log through the node log query (the journal
// of the unit, else its file under /var/log, as the kubelet finds them).
// It asks for the window (the kubelet applies it to a journal, and gives a
// query 30 s: a whole journal may not fit), and without it when the
// kubelet refuses it for a file; lines are filtered here too. A service the
// node has no log of is answered, with 200, by the kubelet's "log not
// found" line: that is no log, not a file.
func viaProxy(ctx context.Context, proxy nodes.LogProxy, node, unit string, w io.Writer, since, now time.Time, prefix string) error {
	for _, window := range []time.Time{since, {}} {
		rc, err := proxy.Query(ctx, node, unit, window)
		if apierrors.IsNotFound(err) || apierrors.IsBadRequest(err) {
			return nil // no such service on this node
		}
		if err != nil {
			return err
		}
		br := bufio.NewReader(rc)
		notFound := "\nlog not found for " + unit + "\n"
		head, _ := br.Peek(max(len(notFound)+1, len(nodes.OptionsRefused)))
		switch {
		case !window.IsZero() && strings.HasPrefix(string(head), nodes.OptionsRefused):
			rc.Close()
			continue // a file: ask without the window
		case string(head) == notFound:
			rc.Close()
			return nil
		}
		err = copySince(w, br, since, now, prefix)
		rc.Close()
		return err
	}
	return nil
}

// viaAgent streams one unit's log from the node agent (journal, else
// /var/log/<unit>.log; nothing when the node has neither).
func viaAgent(ctx context.Context, exec nodes.Exec, w io.Writer, unit string, since, now time.Time, prefix string) error {
	cmd := []string{"/usr/bin/gather", "node-agent", "service-log", unit, "--since-time", since.UTC().Format(time.RFC3339)}
	return exec.Read(ctx, cmd, func(r io.Reader) error {
		return copySince(w, r, since, now, prefix)
	})
}

// lazyFile creates its sink file on the first write, so a service that has
// no log anywhere leaves no empty file.
type lazyFile struct {
	sink *output.Sink
	rel  string
	f    *output.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil {
		f, err := l.sink.Create(l.rel)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(p)
}

var (
	// klog: I1126 15:32:39.931570 ...
	klogTime = regexp.MustCompile(`^[IWEF](\d{4} \d{2}:\d{2}:\d{2})`)
	// journal short and short-precise formats, in UTC (both paths ask for
	// --utc): Nov 26 15:32:39[.123456] host unit[pid]: ...
	journalTime = regexp.MustCompile(`^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})(\.\d+)? `)
)

// lineTime reads the time a log line starts with; the formats carry no
// year, so it is the latest year that puts the time not after now. Journal
// lines are in UTC; klog lines in the node's local time, taken to be ours.
func lineTime(line string, now time.Time) (time.Time, bool) {
	var t time.Time
	var err error
	loc := now.Location()
	switch {
	case klogTime.MatchString(line):
		t, err = time.Parse("0102 15:04:05", klogTime.FindStringSubmatch(line)[1])
	case journalTime.MatchString(line):
		t, err = time.Parse("Jan _2 15:04:05", journalTime.FindStringSubmatch(line)[1])
		loc = time.UTC
	default:
		return time.Time{}, false
	}
	if err != nil {
		return time.Time{}, false
	}
	t = time.Date(now.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
	if t.After(now.Add(24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t, true
}

// copySince copies the lines from the first one at or after since; lines
// without a time of their own go with the line before them (and are kept
// before the first dated line: nothing is dropped without a reason).
func copySince(w io.Writer, r io.Reader, since, now time.Time, prefix string) error {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 4*1024*1024)
	keep := true
	bw := bufio.NewWriter(w)
	for s.Scan() {
		line := s.Text()
		if t, ok := lineTime(line, now); ok {
			keep = !t.Before(since)
		}
		if !keep {
			continue
		}
		if _, err := bw.WriteString(prefix + line + "\n"); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// New returns the node-logs built-in.
func New() builtin.Builtin {
	return builtin.Spec[Config]{
		Name:  "node-logs",
		Short: "Gather host service logs (kubelet, container runtime, network and machine-config services) from the nodes (the control-plane nodes by default)",
		Flags: func(fs *pflag.FlagSet, cfg *Config) {
			cfg.Reaching.AddFlags(fs)
			fs.StringSliceVarP(&cfg.Units, "unit", "u", DefaultUnits, "services whose logs to gather")
		},
		NoArgs: true,
		Run:    nodes.Collector(Run),
	}.New()
}

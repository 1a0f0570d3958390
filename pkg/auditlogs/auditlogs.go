// Package auditlogs gathers the audit logs of the API servers from the
// control-plane nodes: every file of each component's log directory, as
// audit_logs/<component>/<node>-<file>.gz, plus a listing per component.
// Each file is redacted where it is read (redact.AuditEvent): by the node
// agent on the node, or here from the node log proxy.
package auditlogs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/nodes"
	"github.com/must-gather/toolkit/pkg/output"
)

// DefaultComponents are the directories under /var/log gathered: those of
// the API servers' audit logs, and, as the OpenShift must-gather scripts
// gather them along, etcd's and the OAuth server's.
var DefaultComponents = []string{"kube-apiserver", "openshift-apiserver", "oauth-apiserver", "etcd", "oauth-server"}

// Config is what to gather.
type Config struct {
	nodes.Reaching
	Components []string

	since time.Time // the run's window (nodes.Access), set by Run
}

// rotatedName matches the time a rotated audit file was closed, as the
// apiserver names backups: audit-2026-11-26T15-32-39.123.log(.gz).
var rotatedName = regexp.MustCompile(`(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(\.\d{3})?)\.log(\.gz)?$`)

// endedBefore reports a rotated file that ended before since. The node log
// listing has no modification times; the name of a rotated file carries
// its end. The live file (no time in its name) never ended.
func endedBefore(name string, since time.Time) bool {
	if since.IsZero() {
		return false
	}
	m := rotatedName.FindStringSubmatch(name)
	if m == nil {
		return false
	}
	layout := "2006-01-02T15-04-05"
	if m[2] != "" {
		layout += ".000"
	}
	t, err := time.Parse(layout, m[1])
	return err == nil && t.Before(since)
}

// Run gathers the audit logs.
func Run(ctx context.Context, sink *output.Sink, a nodes.Access, cfg Config) error {
	cfg.since = a.Since
	if len(cfg.Components) == 0 {
		cfg.Components = DefaultComponents
	}
	var (
		mu       sync.Mutex
		listings = map[string][]string{}
	)
	list := func(comp, line string) {
		mu.Lock()
		listings[comp] = append(listings[comp], line)
		mu.Unlock()
	}
	errs := []error{cfg.Visit(ctx, a, "audit-logs",
		func(ctx context.Context, node nodes.Node, exec nodes.Exec) error {
			return viaAgent(ctx, sink, exec, node.Name, cfg, list)
		},
		func(ctx context.Context, node nodes.Node, proxy nodes.LogProxy) error {
			return viaProxy(ctx, sink, proxy, node.Name, cfg, list)
		})}
	comps := make([]string, 0, len(listings))
	for c := range listings {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	for _, c := range comps {
		sort.Strings(listings[c])
		errs = append(errs, sink.WriteFile(path.Join("audit_logs", c+".audit_logs_listing"), []byte(strings.Join(listings[c], "\n")+"\n")))
	}
	return errors.Join(errs...)
}

// viaProxy reads one node's audit logs through the node log proxy: the
// listing of each component's directory, then every file not ended before
// the since-window.
func viaProxy(ctx context.Context, sink *output.Sink, proxy nodes.LogProxy, node string, cfg Config, list func(comp, line string)) error {
	var errs []error
	for _, comp := range cfg.Components {
		entries, err := proxy.List(ctx, node, comp)
		if apierrors.IsNotFound(err) {
			continue // this server does not run on this node
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, name := range entries {
			if strings.HasSuffix(name, "/") {
				continue
			}
			list(comp, node+" "+name)
			if endedBefore(name, cfg.since) {
				continue
			}
			errs = append(errs, fetch(ctx, sink, proxy, node, comp, name))
		}
	}
	return errors.Join(errs...)
}

// viaAgent reads every component's directory through the node agent in a
// debug pod: one tar stream with the listing first and the files redacted
// and gzipped on the node (the since-window applied by modification time
// there).
func viaAgent(ctx context.Context, sink *output.Sink, exec nodes.Exec, node string, cfg Config, list func(comp, line string)) error {
	cmd := []string{"/usr/bin/gather", "node-agent", "files", "--redact=audit"}
	if !cfg.since.IsZero() {
		cmd = append(cmd, "--since-time", cfg.since.UTC().Format(time.RFC3339))
	}
	for _, c := range cfg.Components {
		cmd = append(cmd, "var/log/"+c)
	}
	return exec.Read(ctx, cmd, func(r io.Reader) error {
		return readAgentStream(sink, r, node, cfg.Components, list)
	})
}

// readAgentStream writes the files of a node agent's stream (see package
// agentstream) for the components asked for; what arrives of a broken
// stream is kept as agentstream.Reader keeps it.
func readAgentStream(sink *output.Sink, r io.Reader, node string, comps []string, list func(comp, line string)) error {
	rd := agentstream.Reader{
		From: node,
		Listing: func(names []string) {
			for _, p := range names {
				// var/log/<component>/<file>
				parts := strings.Split(p, "/")
				if len(parts) == 4 {
					list(parts[2], node+" "+parts[3])
				}
			}
		},
		Accept: func(entry string) bool {
			_, _, ok := agentEntry(entry, comps)
			return ok
		},
		Create: func(entry string) (agentstream.File, error) {
			comp, file, _ := agentEntry(entry, comps)
			// Gzip members redacted on the node: stored as they come.
			return sink.CreateGzipped(path.Join("audit_logs", comp, node+"-"+file))
		},
	}
	return rd.Read(r)
}

// agentEntry splits a file entry of the node agent's stream,
// var/log/<component>/<file>.gz, refusing any other name (only components
// asked for; a name of four parts cannot climb out of them).
func agentEntry(name string, comps []string) (comp, file string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "var" || parts[1] != "log" || !slices.Contains(comps, parts[2]) ||
		!strings.HasSuffix(parts[3], ".gz") {
		return "", "", false
	}
	return parts[2], parts[3], true
}

// fetch copies one audit file, redacted (the audit rules) and gzipped on
// the way; a file gzipped on the node is decompressed first. When the read
// breaks, what arrived is kept (a valid gzip file of its start).
func fetch(ctx context.Context, sink *output.Sink, proxy nodes.LogProxy, node, comp, name string) error {
	rc, err := proxy.Open(ctx, node, comp+"/"+name)
	if err != nil {
		return err
	}
	defer rc.Close()
	var src io.Reader = rc
	rel := path.Join("audit_logs", comp, node+"-"+name)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return fmt.Errorf("%s of %s: %w", name, node, err)
		}
		defer zr.Close()
		src = zr
	} else {
		rel += ".gz"
	}
	f, err := sink.CreateAuditLog(rel)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, src)
	switch {
	case err == nil:
		return f.Close()
	case n == 0:
		f.Abort()
		return fmt.Errorf("%s of %s: %w", name, node, err)
	default:
		return errors.Join(fmt.Errorf("%s of %s cut after %d bytes (kept): %w", name, node, n, err), f.Close())
	}
}

// New returns the audit-logs built-in.
func New() builtin.Builtin {
	return builtin.Spec[Config]{
		Name:  "audit-logs",
		Short: "Gather the API servers' audit logs from the control-plane nodes",
		Flags: func(fs *pflag.FlagSet, cfg *Config) {
			cfg.Reaching.AddFlags(fs)
			fs.StringSliceVar(&cfg.Components, "component", DefaultComponents, "log directories under /var/log of the API servers")
		},
		NoArgs: true,
		Run:    nodes.Collector(Run),
	}.New()
}

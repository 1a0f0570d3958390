// Package auditlogs gathers the audit logs of the API servers from the
// control-plane nodes: every file of each component's log directory, as
// audit_logs/<component>/<node>-<file>.gz, plus a listing per component.
package auditlogs

import (
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
	"github.com/must-gather/toolkit/pkg/nodes"
)

// DefaultComponents are the API servers whose audit logs are gathered, by
// their directory under /var/log.
var DefaultComponents = []string{"kube-apiserver", "openshift-apiserver", "oauth-apiserver"}

// Config is what to gather.
type Config struct {
	Selection  nodes.Selection
	Components []string
	Since      time.Time
	Parallel   int
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
func Run(ctx context.Context, env *builtin.Env, cfg Config) error {
	cs, err := env.Cluster.Kube()
	if err != nil {
		return err
	}
	if len(cfg.Components) == 0 {
		cfg.Components = DefaultComponents
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	targets, err := nodes.Targets(ctx, cs, cfg.Selection)
	if err != nil {
		return err
	}
	proxy := nodes.LogProxy{CS: cs}
	var (
		mu       sync.Mutex
		errs     []error
		listings = map[string][]string{}
		wg       sync.WaitGroup
		sem      = make(chan struct{}, cfg.Parallel)
	)
	record := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		env.Logf("audit-logs: %v", err)
	}
	for _, t := range targets {
		if t.SkipReason != "" {
			record(fmt.Errorf("skipping node %s: %s", t.Name, t.SkipReason))
			continue
		}
		env.Logf("audit-logs: %s: reading through the node log proxy", t.Name)
		for _, comp := range cfg.Components {
			entries, err := proxy.List(ctx, t.Name, comp)
			if apierrors.IsNotFound(err) {
				continue // this server does not run on this node
			}
			if err != nil {
				record(err)
				continue
			}
			for _, name := range entries {
				if strings.HasSuffix(name, "/") {
					continue
				}
				mu.Lock()
				listings[comp] = append(listings[comp], t.Name+" "+name)
				mu.Unlock()
				if endedBefore(name, cfg.Since) {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					if err := fetch(ctx, env, proxy, t.Name, comp, name); err != nil {
						record(err)
					}
				}()
			}
		}
	}
	wg.Wait()
	comps := make([]string, 0, len(listings))
	for c := range listings {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	for _, c := range comps {
		sort.Strings(listings[c])
		if err := env.Sink.WriteFile(path.Join("audit_logs", c+".audit_logs_listing"), []byte(strings.Join(listings[c], "\n")+"\n")); err != nil {
			record(err)
		}
	}
	return errors.Join(errs...)
}

// fetch copies one audit file, gzipping it on the way unless it already is.
func fetch(ctx context.Context, env *builtin.Env, proxy nodes.LogProxy, node, comp, name string) error {
	rc, err := proxy.Open(ctx, node, comp+"/"+name)
	if err != nil {
		return err
	}
	defer rc.Close()
	rel := path.Join("audit_logs", comp, node+"-"+name)
	create := env.Sink.CreateGzip
	if strings.HasSuffix(name, ".gz") {
		create = env.Sink.Create
	} else {
		rel += ".gz"
	}
	f, err := create(rel)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Abort()
		return fmt.Errorf("copying %s of %s: %w", name, node, err)
	}
	return f.Close()
}

// Command is the audit-logs built-in.
type Command struct {
	cfg Config
}

// New returns the built-in.
func New() builtin.Builtin { return &Command{} }

// Short is the one-line help.
func (c *Command) Short() string {
	return "Gather the API servers' audit logs from the control-plane nodes"
}

// AddFlags registers the flags.
func (c *Command) AddFlags(fs *pflag.FlagSet) {
	c.cfg.Selection.AddFlags(fs)
	fs.StringSliceVar(&c.cfg.Components, "component", DefaultComponents, "log directories under /var/log of the API servers")
	fs.IntVar(&c.cfg.Parallel, "parallel", 4, "how many files to copy at once")
}

// Run gathers.
func (c *Command) Run(ctx context.Context, env *builtin.Env, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("audit-logs takes no arguments, got %q", args)
	}
	cfg := c.cfg
	cfg.Since = env.Since
	return Run(ctx, env, cfg)
}

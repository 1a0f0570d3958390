// Package raw is the raw built-in: it fetches a path of the API server
// into a file, as `kubectl get --raw` does: /metrics, /readyz?verbose, a
// service's or pod's proxy path
// (/api/v1/namespaces/NS/services/NAME:PORT/proxy/metrics), a node's
// (/api/v1/nodes/NAME/proxy/metrics/cadvisor). The body goes through the
// sink, so the line rules of redaction apply.
package raw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
)

// DefaultTimeout bounds the request when --timeout does not: the API
// server's own default limit of a request.
const DefaultTimeout = time.Minute

// Config is what to fetch and where it goes.
type Config struct {
	// Path is the API path, with its query if any.
	Path string
	// Output is the file, relative to the destination.
	Output string
	// Timeout bounds the request, body included.
	Timeout time.Duration
}

// New returns the raw built-in: `raw PATH --output FILE [--timeout 1m]`.
func New() builtin.Builtin {
	return builtin.Spec[Config]{
		Name:  "raw",
		Short: "Fetch a path of the API server (/metrics, a service's or pod's proxy path) into a file",
		Flags: addFlags,
		Run: func(ctx context.Context, env *builtin.Env, cfg Config, args []string) error {
			cfg, err := Complete(cfg, args)
			if err != nil {
				return err
			}
			disc, err := env.Cluster.Discovery()
			if err != nil {
				return err
			}
			return Run(ctx, disc.RESTClient(), env.Sink, cfg)
		},
	}.New()
}

// addFlags registers the flags.
func addFlags(fs *pflag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.Output, "output", "", "file to write the body to, relative to the destination")
	fs.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "time limit of the request, body included")
}

// Complete reads the one argument, the path, into cfg and checks cfg,
// reporting every usage error at once.
func Complete(cfg Config, args []string) (Config, error) {
	var errs []error
	switch len(args) {
	case 1:
		cfg.Path = args[0]
		if err := CheckPath(cfg.Path); err != nil {
			errs = append(errs, err)
		}
	case 0:
		errs = append(errs, errors.New("name the path to fetch: raw /metrics --output FILE"))
	default:
		errs = append(errs, fmt.Errorf("one path at a time, got %q", args))
	}
	if p, err := output.OutputFlag(cfg.Output); err != nil {
		errs = append(errs, err)
	} else {
		cfg.Output = p
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", cfg.Timeout))
	}
	return cfg, errors.Join(errs...)
}

// CheckPath accepts a path of the API server as kubectl get --raw takes
// it: absolute, with a query if any, and nothing that would take the
// request elsewhere (a scheme, a host, "//", a fragment) or climb ("..").
func CheckPath(p string) error {
	u, err := url.Parse(p)
	switch {
	case err != nil:
		return fmt.Errorf("path %q: %w", p, err)
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
		return fmt.Errorf("path %q: must start with a single /", p)
	case u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("path %q: a path of the API server, without scheme, host or fragment", p)
	}
	for _, e := range strings.Split(u.Path, "/") {
		if e == ".." || e == "." {
			return fmt.Errorf("path %q: must not hold %q", p, e)
		}
	}
	return nil
}

// Run fetches cfg.Path through client (a REST client of the server's root)
// into cfg.Output, within cfg.Timeout. A refused request or one that fails
// midway writes no file. cfg is as Complete returns it.
func Run(ctx context.Context, client rest.Interface, sink *output.Sink, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	fail := func(err error) error {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("fetching %s: no end within --timeout %s: %w", cfg.Path, cfg.Timeout, err)
		}
		return fmt.Errorf("fetching %s: %w", cfg.Path, err)
	}
	body, err := client.Get().RequestURI(cfg.Path).Stream(ctx)
	if err != nil {
		return fail(err)
	}
	defer body.Close()
	f, err := sink.Create(cfg.Output)
	if err != nil {
		return fail(err)
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Abort()
		return fail(err)
	}
	return f.Close()
}

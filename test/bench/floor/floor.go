package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/must-gather/toolkit/pkg/inspect"
)

type options struct {
	kubeconfig string
	parallel   int
	chunkSize  int64
	qps        float32
	namespaces []string
}

func (o *options) parse(args []string) error {
	fs := pflag.NewFlagSet("floor", pflag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
	fs.IntVar(&o.parallel, "parallel", 8, "requests in flight")
	fs.Int64Var(&o.chunkSize, "chunk-size", 500, "page size of list calls (gather inspect's default)")
	fs.Float32Var(&o.qps, "qps", 0, "client rate limit; 0: none (a floor has no brake)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.namespaces = fs.Args()
	var errs []error
	if len(o.namespaces) == 0 {
		errs = append(errs, errors.New("name at least one namespace"))
	}
	if o.parallel < 1 {
		errs = append(errs, errors.New("--parallel must be at least 1"))
	}
	if o.chunkSize < 1 {
		errs = append(errs, errors.New("--chunk-size must be at least 1"))
	}
	return errors.Join(errs...)
}

// Report is what the floor fetched: the line it prints.
type Report struct {
	Namespaces int   `json:"namespaces"`
	Lists      int64 `json:"lists"`
	Objects    int64 `json:"objects"`
	Logs       int64 `json:"logs"`
	Bytes      int64 `json:"bytes"`
	Errors     int64 `json:"errors"`
}

// floor is one run.
type floor struct {
	client    rest.Interface
	kube      kubernetes.Interface
	chunkSize int64
	sem       chan struct{}
	wg        sync.WaitGroup
	stderr    io.Writer

	lists, objects, logs, bytes, errs atomic.Int64
}

func (o *options) run(ctx context.Context, stdout, stderr io.Writer) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = o.qps, int(2*o.qps)
	if o.qps <= 0 {
		cfg.QPS = -1 // no client-side rate limiter
	}
	cfg.WarningHandler = rest.NoWarnings{}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	types, err := namespacedTypes(kube)
	if err != nil {
		return err
	}
	f := &floor{client: kube.CoreV1().RESTClient(), kube: kube, chunkSize: o.chunkSize,
		sem: make(chan struct{}, o.parallel), stderr: stderr}
	for _, ns := range o.namespaces {
		f.spawn(ctx, func() error { return f.get(ctx, path.Join("/api/v1/namespaces", ns)) })
		for _, t := range types {
			f.spawn(ctx, func() error { return f.list(ctx, ns, t) })
		}
	}
	f.wg.Wait()
	rep := Report{Namespaces: len(o.namespaces), Lists: f.lists.Load(), Objects: f.objects.Load(),
		Logs: f.logs.Load(), Bytes: f.bytes.Load(), Errors: f.errs.Load()}
	if err := json.NewEncoder(stdout).Encode(rep); err != nil {
		return err
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d requests failed (see above)", rep.Errors)
	}
	return nil
}

// namespacedTypes are the types gather inspect lists in every namespace:
// every listable namespaced resource of each group's preferred version,
// events.k8s.io's copy of events left out (the core one is listed).
func namespacedTypes(kube kubernetes.Interface) ([]schema.GroupVersionResource, error) {
	groups, err := restmapper.GetAPIGroupResources(kube.Discovery())
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return pickTypes(groups), nil
}

func pickTypes(groups []*restmapper.APIGroupResources) []schema.GroupVersionResource {
	var out []schema.GroupVersionResource
	for _, g := range groups {
		v := g.Group.PreferredVersion.Version
		for _, r := range g.VersionedResources[v] {
			if strings.Contains(r.Name, "/") || !r.Namespaced || !slices.Contains(r.Verbs, "list") {
				continue
			}
			if g.Group.Name == "events.k8s.io" && r.Name == "events" {
				continue
			}
			out = append(out, schema.GroupVersionResource{Group: g.Group.Name, Version: v, Resource: r.Name})
		}
	}
	slices.SortFunc(out, func(a, b schema.GroupVersionResource) int {
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// spawn runs fn with a slot of the bound; a failure is counted and told.
func (f *floor) spawn(ctx context.Context, fn func() error) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		f.fail(ctx.Err())
		return
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer func() { <-f.sem }()
		if err := fn(); err != nil {
			f.fail(err)
		}
	}()
}

func (f *floor) fail(err error) {
	f.errs.Add(1)
	fmt.Fprintln(f.stderr, "floor:", err)
}

func (f *floor) get(ctx context.Context, p string) error {
	b, err := f.client.Get().AbsPath(p).SetHeader("Accept", "application/json").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("getting %s: %w", p, err)
	}
	f.bytes.Add(int64(len(b)))
	return nil
}

// listPath is the collection path of a type in a namespace.
func listPath(gvr schema.GroupVersionResource, ns string) string {
	if gvr.Group == "" {
		return path.Join("/api", gvr.Version, "namespaces", ns, gvr.Resource)
	}
	return path.Join("/apis", gvr.Group, gvr.Version, "namespaces", ns, gvr.Resource)
}

// page is the part of a list response the floor reads.
type page struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// list fetches a type in ns page by page; for pods it then fetches their
// logs (each log takes a slot of its own, as gather inspect's do).
func (f *floor) list(ctx context.Context, ns string, gvr schema.GroupVersionResource) error {
	p := listPath(gvr, ns)
	isPods := gvr.Group == "" && gvr.Resource == "pods"
	cont := ""
	for {
		req := f.client.Get().AbsPath(p).SetHeader("Accept", "application/json").
			Param("limit", fmt.Sprint(f.chunkSize))
		if cont != "" {
			req = req.Param("continue", cont)
		}
		b, err := req.DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("listing %s: %w", p, err)
		}
		f.bytes.Add(int64(len(b)))
		var pg page
		if err := json.Unmarshal(b, &pg); err != nil {
			return fmt.Errorf("listing %s: %w", p, err)
		}
		f.objects.Add(int64(len(pg.Items)))
		if isPods {
			for _, item := range pg.Items {
				var pod corev1.Pod
				if err := json.Unmarshal(item, &pod); err != nil {
					return fmt.Errorf("reading a pod of %s: %w", ns, err)
				}
				for _, l := range inspect.PodLogs(&pod) {
					// Not spawned from here: this goroutine holds a slot,
					// and waiting for another one could take them all.
					f.wg.Add(1)
					go func() {
						defer f.wg.Done()
						select {
						case f.sem <- struct{}{}:
						case <-ctx.Done():
							f.fail(ctx.Err())
							return
						}
						defer func() { <-f.sem }()
						if err := f.log(ctx, ns, pod.Name, l); err != nil {
							f.fail(err)
						}
					}()
				}
			}
		}
		cont = pg.Metadata.Continue
		if cont == "" {
			f.lists.Add(1)
			return nil
		}
	}
}

// log streams one log to nowhere; an absent log is no error (as in gather
// inspect).
func (f *floor) log(ctx context.Context, ns, pod string, l inspect.ContainerLog) error {
	opts := &corev1.PodLogOptions{Container: l.Container, Previous: l.Previous, Timestamps: true}
	stream, err := f.kube.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if apierrors.IsNotFound(err) || apierrors.IsBadRequest(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log of %s/%s container %s (previous=%v): %w", ns, pod, l.Container, l.Previous, err)
	}
	n, err := io.Copy(io.Discard, stream)
	f.bytes.Add(n)
	err = errors.Join(err, stream.Close())
	if err != nil {
		return fmt.Errorf("log of %s/%s container %s (previous=%v): %w", ns, pod, l.Container, l.Previous, err)
	}
	f.logs.Add(1)
	return nil
}

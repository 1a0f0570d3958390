package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
)

// Config is what to gather and how.
type Config struct {
	// Namespace is where namespaced types given without one are looked up
	// (-n); empty means the default namespace of kubectl, "default".
	Namespace string
	// AllNamespaces lists namespaced types in every namespace (-A); with
	// Cluster, it gathers every namespace.
	AllNamespaces bool
	// Cluster is the whole-cluster default: the ClusterOperators and what
	// they point at when served, the cluster-scoped state, and the system
	// namespaces plus every namespace with a failing pod.
	Cluster bool
	// APIGroups are groups to gather whole (--api-group): their CRDs and
	// every object of their types in all namespaces. A name with a leading
	// dot (.example.com) takes the group and its subgroups.
	APIGroups []string
	// Since drops log lines older than this (zero: all).
	Since time.Time
	// Parallel bounds concurrent log streams and namespaces.
	Parallel int
	// PageSize is the chunk size of list calls.
	PageSize int64
	// PageTimeout bounds each list call (one page): a list the API server
	// never finishes costs this, not the rest of the step.
	PageTimeout time.Duration
}

// DefaultParallel and DefaultPageSize are the defaults of Config.
const (
	DefaultParallel       = 8
	DefaultPageSize int64 = 500
	// DefaultPageTimeout is the API server's own default limit of a
	// request (--request-timeout 1m): a page that takes longer would not
	// have come anyway.
	DefaultPageTimeout = time.Minute
)

// inspector is one run of inspect: the clients, the catalog of served
// types and the visited set.
type inspector struct {
	cfg   Config
	sink  *output.Sink
	logf  func(format string, args ...any)
	paths paths
	dyn   dynamic.Interface
	kube  kubernetes.Interface
	cat   *catalog

	mu      sync.Mutex
	visited map[string]bool
	errs    []error
	warned  map[string]bool
	nsTypes []nsType // what every namespace lists, resolved once

	queued      [2][]func() // logs held back under --max-size: of failing pods [0], of healthy ones [1]
	budgetSpent sync.Once   // says once that --max-size is spent

	sem       chan struct{} // bounds concurrent log streams (Parallel)
	wg        sync.WaitGroup
	deadNodes deadNodes // nodes whose kubelet did not answer for a log
}

// Clients are the cluster clients inspect reads through.
type Clients struct {
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Kube streams pod logs and lists the namespaces and pods --cluster
	// picks from.
	Kube kubernetes.Interface
}

// Run is the built-in: it gathers the targets named by args (see
// parseArgs) and everything they point at with the clients of env, and
// writes the root files when it runs alone. It returns the aggregate of
// what could not be gathered; whatever could be gathered is written.
func Run(ctx context.Context, env *builtin.Env, cfg Config, args []string) error {
	targets, cfg, err := prepare(cfg, args)
	if err != nil {
		return err
	}
	start := time.Now()
	var c Clients
	if c.Dynamic, err = env.Cluster.Dynamic(); err != nil {
		return err
	}
	if c.Kube, err = env.Cluster.Kube(); err != nil {
		return err
	}
	if c.Discovery, err = env.Cluster.Discovery(); err != nil {
		return err
	}
	in, err := newInspector(c, env.Sink, env.Log, cfg)
	if err != nil {
		return err
	}
	in.run(ctx, targets)
	if !env.InGatherRun {
		in.record(WriteRootFiles(ctx, env, start, time.Now()))
	}
	return summarize(in.errs)
}

// Gather gathers the targets named by args and everything they point at
// into sink, logging progress and warnings to log; it writes no root
// files. It returns the aggregate of what could not be gathered.
func Gather(ctx context.Context, c Clients, sink *output.Sink, log io.Writer, cfg Config, args []string) error {
	targets, cfg, err := prepare(cfg, args)
	if err != nil {
		return err
	}
	in, err := newInspector(c, sink, log, cfg)
	if err != nil {
		return err
	}
	in.run(ctx, targets)
	return summarize(in.errs)
}

// prepare parses args and fills in the defaults of cfg.
func prepare(cfg Config, args []string) ([]target, Config, error) {
	targets, err := parseArgs(args)
	if err != nil {
		return nil, cfg, err
	}
	if len(targets) == 0 && !cfg.Cluster && len(cfg.APIGroups) == 0 {
		return nil, cfg, errors.New("nothing to inspect: name resources (e.g. clusteroperators, ns/NAME), or use --api-group or --cluster")
	}
	var errs []error
	for _, g := range cfg.APIGroups {
		errs = append(errs, checkAPIGroup(g))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, cfg, err
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.PageTimeout <= 0 {
		cfg.PageTimeout = DefaultPageTimeout
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Namespace == "" {
		cfg.Namespace = metav1.NamespaceDefault
	}
	return targets, cfg, nil
}

// newInspector reads the catalog of served types and sets up a run.
func newInspector(c Clients, sink *output.Sink, log io.Writer, cfg Config) (*inspector, error) {
	cat, err := newCatalog(c.Discovery)
	if err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(log, format+"\n", args...) }
	return &inspector{
		cfg: cfg, sink: sink, dyn: c.Dynamic, kube: c.Kube, cat: cat,
		logf: logf, paths: paths{note: logf},
		visited: map[string]bool{}, warned: map[string]bool{},
		sem: make(chan struct{}, cfg.Parallel),
	}, nil
}

// run gathers the targets (and the cluster with --cluster), and waits for
// the logs in flight.
func (in *inspector) run(ctx context.Context, targets []target) {
	for _, w := range in.cat.warnings {
		in.warn(w)
	}
	// Named namespaces (ns/a ns/b ...) go side by side, after the rest.
	var namespaces []string
	for _, t := range targets {
		r, ok := in.resolveOrWarn(t.resource)
		switch {
		case !ok:
		case r.is("namespaces") && len(t.names) > 0:
			namespaces = append(namespaces, t.names...)
		default:
			in.gatherTarget(ctx, r, t.names)
		}
	}
	in.gatherNamespaces(ctx, namespaces, named)
	for _, g := range in.cfg.APIGroups {
		in.gatherAPIGroup(ctx, g)
	}
	if in.cfg.Cluster {
		in.gatherCluster(ctx)
	}
	in.wg.Wait()
	in.fetchQueuedLogs(ctx)
	for _, err := range in.deadNodes.errors() {
		in.record(err)
	}
}

// maxErrors is how many errors the returned error spells out; every one
// is in the log already.
const maxErrors = 20

func summarize(errs []error) error {
	if len(errs) <= maxErrors {
		return utilerrors.NewAggregate(errs)
	}
	head := append(errs[:maxErrors:maxErrors], fmt.Errorf("and %d more errors (all in the log)", len(errs)-maxErrors))
	return utilerrors.NewAggregate(head)
}

// record keeps an error and goes on.
func (in *inspector) record(err error) {
	if err == nil {
		return
	}
	in.mu.Lock()
	in.errs = append(in.errs, err)
	in.mu.Unlock()
	in.logf("inspect: %v", err)
}

// warn logs a warning once.
func (in *inspector) warn(msg string) {
	in.mu.Lock()
	seen := in.warned[msg]
	in.warned[msg] = true
	in.mu.Unlock()
	if !seen {
		in.logf("inspect: warning: %s", msg)
	}
}

// visit marks a key and reports whether it was new.
func (in *inspector) visit(key string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.visited[key] {
		return false
	}
	in.visited[key] = true
	return true
}

// resolveOrWarn resolves a type; a type the server does not serve is a
// warning, not an error.
func (in *inspector) resolveOrWarn(token string) (resource, bool) {
	r, err := in.cat.resolve(token)
	if errors.Is(err, errNotServed) {
		in.warn(fmt.Sprintf("skipping %s: the server does not serve it", token))
		return r, false
	}
	if err != nil {
		in.record(err)
		return r, false
	}
	return r, true
}

// gatherTarget gathers the named objects of a type, or all of them.
func (in *inspector) gatherTarget(ctx context.Context, r resource, names []string) {
	ns := ""
	if r.namespaced {
		ns = in.cfg.Namespace
		if in.cfg.AllNamespaces && len(names) == 0 {
			ns = metav1.NamespaceAll
		}
	}
	if len(names) == 0 {
		in.gatherAll(ctx, r, ns)
		return
	}
	for _, name := range names {
		in.gatherObject(ctx, r, ns, name)
	}
}

// gatherAll gathers every object of a type (in ns, or everywhere).
func (in *inspector) gatherAll(ctx context.Context, r resource, ns string) {
	if r.is("namespaces") {
		in.eachItem(ctx, r, "", func(item *unstructured.Unstructured) error {
			in.gatherNamespace(ctx, item.GetName(), listed)
			return nil
		})
		return
	}
	in.eachItem(ctx, r, ns, func(item *unstructured.Unstructured) error {
		in.handleObject(ctx, r, item)
		return nil
	})
}

// errStop stops a listing early; what stopped it is recorded already.
var errStop = errors.New("listing stopped")

// eachItem lists a type page by page and hands each item to fn, which may
// stop the listing with errStop. It reports whether the listing went
// through; an error is recorded (a type gone since discovery is a
// warning).
func (in *inspector) eachItem(ctx context.Context, r resource, ns string, fn func(*unstructured.Unstructured) error) bool {
	items := 0
	err := in.pager(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return in.dyn.Resource(r.gvr).Namespace(ns).List(ctx, opts)
	}).EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		item, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("unexpected item type %T", obj)
		}
		items++
		return fn(item)
	})
	switch {
	case err == nil:
		return true
	case errors.Is(err, errStop):
	case apierrors.IsNotFound(err) && items == 0:
		// The type went away since discovery (a CRD deleted while we
		// gather): nothing to list, as for a type never served.
		in.warn(fmt.Sprintf("skipping %s: no longer served", r.gr()))
	default:
		in.record(describe("listing", r, ns, "", err))
	}
	return false
}

// pager lists in pages of --chunk-size (Config.PageSize), fetching at
// most one page ahead of the one being written, so a big list is never
// held whole, each page within --page-timeout (a hung list must not hold
// up the types listed after it). A listing whose continue token expired
// is not retried as a full list: the items handed on already would be
// handed on twice.
func (in *inspector) pager(fn pager.ListPageFunc) *pager.ListPager {
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		ctx, cancel := context.WithTimeout(ctx, in.cfg.PageTimeout)
		defer cancel()
		return fn(ctx, opts)
	})
	p.PageSize = in.cfg.PageSize
	p.PageBufferSize = 0
	p.FullListIfExpired = false
	return p
}

// describe wraps an API error with what was being done, and says plainly
// when it was a permission problem.
func describe(verb string, r resource, ns, name string, err error) error {
	what := objectName(r, ns, name)
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s %s: forbidden: %w", verb, what, err)
	}
	return fmt.Errorf("%s %s: %w", verb, what, err)
}

// objectName names an object (or a type) in messages: group/name in ns.
func objectName(r resource, ns, name string) string {
	what := r.gr().String()
	if name != "" {
		what += "/" + name
	}
	if ns != "" {
		what += " in " + ns
	}
	return what
}

func objectKey(gr schema.GroupResource, ns, name string) string {
	return gr.String() + "|" + ns + "|" + name
}

// gatherObject gets and gathers one object.
func (in *inspector) gatherObject(ctx context.Context, r resource, ns, name string) {
	in.getObject(ctx, r, ns, name, "")
}

// getObject gets an object and handles it. An object another one points
// at (relatedOf names it) that does not exist is a warning, not an error:
// operators list objects that come and go.
func (in *inspector) getObject(ctx context.Context, r resource, ns, name, relatedOf string) {
	if !r.namespaced {
		ns = ""
	}
	if r.is("namespaces") {
		how := named
		if relatedOf != "" {
			how = listed
		}
		in.gatherNamespace(ctx, name, how)
		return
	}
	if !in.visit(objectKey(r.gr(), ns, name) + "|get") {
		return
	}
	obj, err := in.dyn.Resource(r.gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err != nil && relatedOf != "" && apierrors.IsNotFound(err):
		in.warn(fmt.Sprintf("related object %s of %s does not exist", objectName(r, ns, name), relatedOf))
		return
	case err != nil:
		in.record(describe("getting", r, ns, name, err))
		return
	}
	in.handleObject(ctx, r, obj)
}

// handleObject writes an object and follows what it points at.
func (in *inspector) handleObject(ctx context.Context, r resource, obj *unstructured.Unstructured) {
	ns, name := obj.GetNamespace(), obj.GetName()
	if !in.visit(objectKey(r.gr(), ns, name)) {
		return
	}
	isPod := r.is("pods")
	var (
		rel string
		err error
	)
	switch {
	case isPod:
		rel, err = in.paths.pod(ns, name)
	case ns == "":
		rel, err = in.paths.clusterObject(r.gr(), name)
	default:
		rel, err = in.paths.namespacedObject(ns, r.gr(), name)
	}
	if err != nil {
		in.record(describe("writing", r, ns, name, err))
	} else {
		in.record(in.sink.WriteObject(rel, obj.Object))
		if isPod {
			in.gatherPodLogs(ctx, obj)
		}
	}
	in.follow(ctx, r, obj)
}

// follow gathers what an object points at.
func (in *inspector) follow(ctx context.Context, r resource, obj *unstructured.Unstructured) {
	switch r.gr() {
	case schema.GroupResource{Group: "config.openshift.io", Resource: "clusteroperators"}:
		in.gatherConfigGroups(ctx)
	case schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"},
		schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"}:
		hooks, _, _ := unstructured.NestedSlice(obj.Object, "webhooks")
		for _, h := range hooks {
			if m, ok := h.(map[string]any); ok {
				if ns, _, _ := unstructured.NestedString(m, "clientConfig", "service", "namespace"); ns != "" {
					in.gatherNamespace(ctx, ns, listed)
				}
			}
		}
	case schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}:
		if ns, _, _ := unstructured.NestedString(obj.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace"); ns != "" {
			in.gatherNamespace(ctx, ns, listed)
		}
	}
	related, _, _ := unstructured.NestedSlice(obj.Object, "status", "relatedObjects")
	for _, ro := range related {
		m, ok := ro.(map[string]any)
		if !ok {
			continue
		}
		group, _ := m["group"].(string)
		res, _ := m["resource"].(string)
		ns, _ := m["namespace"].(string)
		name, _ := m["name"].(string)
		if res == "" {
			continue
		}
		target, err := in.cat.resolveGroupResource(schema.GroupResource{Group: group, Resource: res})
		if errors.Is(err, errNotServed) {
			in.warn(fmt.Sprintf("skipping related object %s.%s/%s of %s: the server does not serve it", res, group, name, obj.GetName()))
			continue
		}
		if err != nil {
			in.record(err)
			continue
		}
		if name == "" {
			if target.namespaced && ns == "" {
				continue
			}
			in.gatherAll(ctx, target, ns)
			continue
		}
		in.getObject(ctx, target, ns, name, obj.GetName())
	}
}

// gatherConfigGroups writes, once per run, a list file of every listable
// resource of the groups ending in config.openshift.io.
func (in *inspector) gatherConfigGroups(ctx context.Context) {
	if !in.visit("config-groups") {
		return
	}
	for _, r := range in.cat.groupsWithSuffix("config.openshift.io") {
		if r.namespaced {
			continue
		}
		rel, err := in.paths.clusterList(r.gr())
		if err != nil {
			in.record(describe("listing", r, "", "", err))
			continue
		}
		in.writeList(ctx, r, "", rel, false, nil)
	}
}

// writeList writes a list file of a type, streaming page by page, and
// hands each item to each (when not nil). With skipEmpty, an empty list
// writes no file.
func (in *inspector) writeList(ctx context.Context, r resource, ns, rel string, skipEmpty bool, each func(*unstructured.Unstructured)) {
	var lw *output.ListWriter
	start := func() bool {
		var err error
		if lw, err = in.sink.CreateList(rel, r.kind+"List"); err != nil {
			in.record(err)
			return false
		}
		return true
	}
	failed := false
	listed := in.eachItem(ctx, r, ns, func(item *unstructured.Unstructured) error {
		if lw == nil && !start() {
			return errStop
		}
		if err := lw.Add(item.Object); err != nil {
			in.record(err)
			failed = true
			return errStop
		}
		if each != nil {
			each(item)
		}
		return nil
	})
	if lw == nil && listed && !skipEmpty && !start() {
		return
	}
	switch {
	case lw == nil:
		// Empty and skipped, or the listing failed (recorded).
	case failed:
		lw.Abort()
	default:
		// A listing that broke off after some pages keeps what arrived;
		// the error is recorded.
		in.record(lw.Close())
	}
}

// isNotFoundish reports errors that mean "no such data" rather than a
// failure: the object is gone, or a container has no (previous) log.
func isNotFoundish(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsBadRequest(err)
}

// nsNames are listed in every namespace besides the "all" category, as
// `oc adm inspect` does: their list files are written even when empty.
var nsNames = []string{"configmaps", "events", "endpoints", "endpointslices", "networkpolicies",
	"persistentvolumeclaims", "poddisruptionbudgets", "secrets", "servicemonitors", "ingresses", "routes"}

// duplicateTypes are served twice under different groups; the core copy is
// the one gathered.
var duplicateTypes = map[schema.GroupResource]bool{{Group: "events.k8s.io", Resource: "events"}: true}

// nsType is a type listed in every namespace; always: write its list file
// even when empty (the oc adm inspect set), else only when it has items.
type nsType struct {
	resource
	always bool
}

// namespaceTypes resolves, once, the types listed in every namespace: the
// set of oc adm inspect, and every other listable namespaced type the
// server serves (custom resources included) — "everything in them".
func (in *inspector) namespaceTypes() []nsType {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.nsTypes != nil {
		return in.nsTypes
	}
	always := map[schema.GroupResource]bool{}
	for _, r := range in.cat.inCategory("all") {
		always[r.gr()] = true
	}
	for _, n := range nsNames {
		if r, err := in.cat.resolve(n); err == nil {
			always[r.gr()] = true
		}
	}
	var out []nsType
	for _, r := range in.cat.preferred {
		if r.namespaced && r.listable && !duplicateTypes[r.gr()] {
			out = append(out, nsType{resource: r, always: always[r.gr()]})
		}
	}
	in.nsTypes = out
	return out
}

// How a namespace came to be gathered: named by the user (one that does
// not exist is an error), or listed or pointed at by an object (one gone
// meanwhile is a warning: namespaces come and go).
const (
	named  = false
	listed = true
)

// gatherNamespace writes a namespace, list files of its types, and every
// pod with its logs.
func (in *inspector) gatherNamespace(ctx context.Context, ns string, found bool) {
	if !in.visit("namespace|" + ns) {
		return
	}
	nsr, err := in.cat.resolve("namespaces")
	if err != nil {
		in.record(err)
		return
	}
	obj, err := in.dyn.Resource(nsr.gvr).Get(ctx, ns, metav1.GetOptions{})
	switch {
	case err != nil && found && apierrors.IsNotFound(err):
		in.warn(fmt.Sprintf("namespace %s is gone", ns))
		return
	case err != nil:
		in.record(describe("getting", nsr, "", ns, err))
		return
	}
	rel, err := in.paths.namespace(ns)
	if err != nil {
		in.record(describe("writing", nsr, "", ns, err))
		return
	}
	in.record(in.sink.WriteObject(rel, obj.Object))
	for _, t := range in.namespaceTypes() {
		var each func(*unstructured.Unstructured)
		if t.is("pods") {
			each = func(pod *unstructured.Unstructured) { in.handleObject(ctx, t.resource, pod) }
		}
		rel, err := in.paths.namespacedList(ns, t.gr())
		if err != nil {
			in.record(describe("listing", t.resource, ns, "", err))
			continue
		}
		in.writeList(ctx, t.resource, ns, rel, !t.always, each)
	}
	in.logf("inspect: namespace %s gathered", ns)
}

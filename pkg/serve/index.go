package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/bundle"
)

// The discovery documents a gather writes at the root of each image folder
// (pkg/inspect): they give kinds, short names and categories.
var discoveryFiles = []string{"aggregated-discovery-api.yaml", "aggregated-discovery-apis.yaml"}

// Options tune an Index.
type Options struct {
	// Log receives what a reader should know: files that could not be
	// read, objects a later image folder replaced. Nil: discarded.
	Log io.Writer
	// Workers is how many files are decoded at once (GOMAXPROCS when 0).
	Workers int
}

// Index is what a bundle holds, read once: every object's identity,
// labels, selectable fields and table row, and where to read it again;
// every container log. Objects themselves stay in the files.
type Index struct {
	fsys     fs.FS
	printers map[schema.GroupResource]printer
	types    map[schema.GroupResource]*resourceType
	logs     map[logKey]logFiles
	version  version.Info

	// Files is how many files were read; Objects how many objects the
	// index holds; Errors what could not be read (the rest is served).
	Files, Objects int
	Errors         []error
}

// resourceType is one resource of the bundle and its objects.
type resourceType struct {
	gvr        schema.GroupVersionResource
	kind       string
	singular   string
	namespaced bool
	shortNames []string
	categories []string
	columns    []column                       // nil: NAME and AGE
	cells      func(obj map[string]any) []any // a built-in type's row
	nameLast   bool                           // NAME is the last column, shown with -o wide (events)
	objects    map[objectKey]*entry
}

type objectKey struct{ namespace, name string }

// entry is what the index keeps of one object.
type entry struct {
	meta   metav1.ObjectMeta // name, namespace, labels, uid, creationTimestamp only
	fields fields.Set
	cells  []any // the row past NAME: values or cellAt
	root   string
	file   string
	item   int // which object of the file
}

type logKey struct{ namespace, pod, container string }

// logFiles are a container's log files ("" when absent).
type logFiles struct{ root, current, previous string }

// fileResult is what one file held: what the index keeps of each
// object (and the objects themselves when raw was asked for: CRDs).
type fileResult struct {
	place   bundle.Place
	file    string
	objects []pending
	raw     []map[string]any
	err     error
}

// pending is an object read by a worker, not yet in the index.
type pending struct {
	apiVersion, kind string
	entry            *entry
}

// NewIndex reads the bundle fsys. It reads on past files it cannot decode
// (Errors); the error is for a bundle that cannot be walked or a cancelled
// context.
func NewIndex(ctx context.Context, fsys fs.FS, o Options) (*Index, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	ix := &Index{fsys: fsys, printers: printers(), types: map[schema.GroupResource]*resourceType{}, logs: map[logKey]logFiles{}}
	var names []string
	var discovery []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			ix.Errors = append(ix.Errors, err)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		ix.Files++
		plain := strings.TrimSuffix(p, ".gz")
		if slices.Contains(discoveryFiles, path.Base(plain)) {
			discovery = append(discovery, p)
			return nil
		}
		if ix.addLog(p, o.Log) {
			return nil
		}
		_, ok := bundle.Locate(plain)
		if !ok {
			return nil
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	known := builtinTypes()
	for _, p := range discovery {
		if err := addDiscovery(fsys, p, known); err != nil {
			ix.Errors = append(ix.Errors, err)
		}
	}
	// CRDs first: their printer columns make the rows of their objects.
	var crdNames, objectNames []string
	for _, p := range names {
		pl, _ := bundle.Locate(strings.TrimSuffix(p, ".gz"))
		if pl.Group == "apiextensions.k8s.io" && pl.Resource == "customresourcedefinitions" {
			crdNames = append(crdNames, p)
		} else {
			objectNames = append(objectNames, p)
		}
	}
	owners := map[string]string{} // group/resource/ns/name -> root that gave it
	crds := ix.readAll(ctx, crdNames, o.Workers, known, true)
	for _, r := range crds {
		for _, obj := range r.raw {
			addCRD(obj, known)
		}
	}
	ix.merge(crds, known, owners, o.Log)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.merge(ix.readAll(ctx, objectNames, o.Workers, known, false), known, owners, o.Log)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.version = serverVersion(ix)
	return ix, nil
}

// readAll decodes files with a bounded number of workers, in the order
// given, and keeps of each object what the index needs (and the objects
// too when raw). known is only read here.
func (ix *Index) readAll(ctx context.Context, names []string, workers int, known map[schema.GroupResource]*typeInfo, raw bool) []fileResult {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]fileResult, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				out[i] = ix.readFile(names[i], known, raw)
			}
		})
	}
	for i := range names {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// readFile reads one object file.
func (ix *Index) readFile(p string, known map[schema.GroupResource]*typeInfo, raw bool) fileResult {
	pl, _ := bundle.Locate(strings.TrimSuffix(p, ".gz"))
	objs, err := readObjects(ix.fsys, p)
	r := fileResult{place: pl, file: p, err: err}
	if raw {
		r.raw = objs
	}
	gr := placeGR(pl)
	for i, obj := range objs {
		u := unstructured.Unstructured{Object: obj}
		if u.GetName() == "" {
			continue
		}
		ns := u.GetNamespace()
		if pl.Namespace != "" && ns == "" {
			ns = pl.Namespace
		}
		// The type as it will be unless an earlier object said otherwise.
		t := ix.newType(gr, u, pl.Namespace != "", known)
		if !t.namespaced {
			ns = ""
		}
		r.objects = append(r.objects, pending{apiVersion: u.GetAPIVersion(), kind: u.GetKind(), entry: newEntry(t, u, ns, pl.Root, p, i)})
	}
	return r
}

// merge adds the objects of files, in order: an object a later image folder
// holds too replaces the earlier one, and the log says so.
func (ix *Index) merge(results []fileResult, known map[schema.GroupResource]*typeInfo, owners map[string]string, log io.Writer) {
	for _, r := range results {
		if r.err != nil {
			ix.Errors = append(ix.Errors, r.err)
		}
		gr := placeGR(r.place)
		group := gr.Group
		if info := known[gr]; len(r.objects) == 0 && info != nil && info.kind != "" && info.version != "" {
			// An empty list still says the type was gathered: kubectl
			// then finds no objects rather than no type.
			var u unstructured.Unstructured
			u.SetAPIVersion(schema.GroupVersion{Group: group, Version: info.version}.String())
			u.SetKind(info.kind)
			ix.typeOf(gr, u, r.place.Namespace != "", known)
		}
		for _, o := range r.objects {
			var u unstructured.Unstructured
			u.SetAPIVersion(o.apiVersion)
			u.SetKind(o.kind)
			t := ix.typeOf(gr, u, r.place.Namespace != "", known)
			e := o.entry
			key := objectKey{e.meta.Namespace, e.meta.Name}
			id := gr.String() + "/" + key.namespace + "/" + key.name
			if prev, ok := owners[id]; ok && prev == r.place.Root {
				// In one folder, a list comes before the object's own file
				// (core/pods.yaml < pods/...): the first is kept, as
				// analyze keeps it.
				continue
			} else if ok {
				fmt.Fprintf(log, "serve: %s %s from %s replaces the one from %s\n", gr.String(), path.Join(key.namespace, key.name), r.place.Root, prev)
			}
			owners[id] = r.place.Root
			if _, ok := t.objects[key]; !ok {
				ix.Objects++
			}
			t.objects[key] = e
		}
	}
}

// typeOf returns the resource of an object, adding it on its first object.
func (ix *Index) typeOf(gr schema.GroupResource, u unstructured.Unstructured, namespaced bool, known map[schema.GroupResource]*typeInfo) *resourceType {
	if t, ok := ix.types[gr]; ok {
		return t
	}
	t := ix.newType(gr, u, namespaced, known)
	ix.types[gr] = t
	return t
}

// newType is the resource of an object that is the first of its type.
func (ix *Index) newType(gr schema.GroupResource, u unstructured.Unstructured, namespaced bool, known map[schema.GroupResource]*typeInfo) *resourceType {
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	info := known[gr]
	if info == nil {
		info = &typeInfo{kind: u.GetKind(), namespaced: namespaced}
	}
	t := &resourceType{
		gvr:        gr.WithVersion(cmp.Or(gv.Version, info.version, "v1")),
		kind:       cmp.Or(u.GetKind(), info.kind),
		singular:   cmp.Or(info.singular, strings.ToLower(cmp.Or(u.GetKind(), info.kind))),
		namespaced: info.namespaced || namespaced,
		shortNames: info.shortNames,
		categories: info.categories,
		columns:    info.columns,
		objects:    map[objectKey]*entry{},
	}
	if p, ok := ix.printers[gr]; ok && t.columns == nil {
		t.columns, t.cells, t.nameLast = p.columns, p.cells, p.nameLast
	}
	return t
}

// newEntry keeps what the index needs of an object.
func newEntry(t *resourceType, u unstructured.Unstructured, ns, root, file string, item int) *entry {
	e := &entry{root: root, file: file, item: item}
	e.meta.Name = u.GetName()
	e.meta.Namespace = ns
	e.meta.Labels = u.GetLabels()
	e.meta.UID = types.UID(u.GetUID())
	e.meta.CreationTimestamp = u.GetCreationTimestamp()
	e.fields = selectableFields(t.gvr.GroupResource(), u.Object)
	e.fields["metadata.name"] = e.meta.Name
	if t.namespaced {
		e.fields["metadata.namespace"] = ns
	}
	e.cells = rowCells(t, u.Object)
	return e
}

// placeGR is the API group and resource of a place ("" for core).
func placeGR(p bundle.Place) schema.GroupResource {
	g := p.Group
	if g == "core" {
		g = ""
	}
	return schema.GroupResource{Group: g, Resource: p.Resource}
}

// addLog indexes a container log file of the layout
// [ROOT/]namespaces/NS/pods/POD/CONTAINER/CONTAINER/logs/{current,previous}.log[.gz].
func (ix *Index) addLog(p string, log io.Writer) bool {
	plain := strings.TrimSuffix(p, ".gz")
	base := path.Base(plain)
	if base != "current.log" && base != "previous.log" {
		return false
	}
	segs := strings.Split(plain, "/")
	n := len(segs)
	if n < 8 || segs[n-2] != "logs" || segs[n-3] != segs[n-4] || segs[n-6] != "pods" || segs[n-8] != "namespaces" {
		return false
	}
	root := "."
	if n > 8 {
		root = path.Join(segs[:n-8]...)
	}
	k := logKey{namespace: segs[n-7], pod: segs[n-5], container: segs[n-3]}
	lf := ix.logs[k]
	if lf.root != "" && lf.root != root {
		fmt.Fprintf(log, "serve: the logs of container %s of pod %s/%s from %s replace those from %s\n", k.container, k.namespace, k.pod, root, lf.root)
		lf = logFiles{}
	}
	lf.root = root
	if base == "current.log" {
		lf.current = p
	} else {
		lf.previous = p
	}
	ix.logs[k] = lf
	return true
}

// object reads an indexed object back from its file.
func (ix *Index) object(e *entry) (*unstructured.Unstructured, error) {
	objs, err := readObjects(ix.fsys, e.file)
	if err != nil {
		return nil, err
	}
	if e.item >= len(objs) {
		return nil, fmt.Errorf("reading %s: object %d is gone", e.file, e.item)
	}
	return &unstructured.Unstructured{Object: objs[e.item]}, nil
}

// objects reads the given entries back, each file once.
func (ix *Index) objects(entries []*entry) ([]unstructured.Unstructured, error) {
	out := make([]unstructured.Unstructured, len(entries))
	byFile := map[string][]int{}
	for i, e := range entries {
		byFile[e.file] = append(byFile[e.file], i)
	}
	var errs []error
	for file, idx := range byFile {
		objs, err := readObjects(ix.fsys, file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, i := range idx {
			if entries[i].item < len(objs) {
				out[i] = unstructured.Unstructured{Object: objs[entries[i].item]}
			}
		}
	}
	return out, errors.Join(errs...)
}

// list returns the entries of t in namespace ns ("" for all) that match the
// selectors, sorted by namespace and name as the API server sorts them.
func (t *resourceType) list(ns string, ls labels.Selector, fs fields.Selector) []*entry {
	var out []*entry
	for k, e := range t.objects {
		if ns != "" && k.namespace != ns {
			continue
		}
		if !ls.Matches(labels.Set(e.meta.Labels)) || !fs.Matches(e.fields) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *entry) int {
		return cmp.Or(strings.Compare(a.meta.Namespace, b.meta.Namespace), strings.Compare(a.meta.Name, b.meta.Name))
	})
	return out
}

// addDiscovery adds what an aggregated discovery document says of each
// resource to known.
func addDiscovery(fsys fs.FS, p string, known map[schema.GroupResource]*typeInfo) error {
	f, err := open(fsys, p)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDocument))
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := yaml.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("decoding %s: %w", p, err)
	}
	for _, g := range list.Items {
		for _, v := range g.Versions {
			for _, r := range v.Resources {
				gr := schema.GroupResource{Group: g.Name, Resource: r.Resource}
				info := known[gr]
				if info == nil {
					info = &typeInfo{}
					known[gr] = info
				}
				if info.version != "" {
					continue // the first version is the preferred one
				}
				info.version = v.Version
				if r.ResponseKind != nil {
					info.kind = cmp.Or(info.kind, r.ResponseKind.Kind)
				}
				info.singular = cmp.Or(r.SingularResource, info.singular)
				info.namespaced = r.Scope == apidiscoveryv2.ScopeNamespace
				if len(r.ShortNames) > 0 {
					info.shortNames = r.ShortNames
				}
				if len(r.Categories) > 0 {
					info.categories = r.Categories
				}
			}
		}
	}
	return nil
}

// serverVersion is the newest kubelet version of the bundle's nodes: the
// cluster's version as near as a bundle tells it (v0.0.0 without nodes).
func serverVersion(ix *Index) version.Info {
	best, _ := utilversion.ParseGeneric("v0.0.0")
	if t := ix.types[schema.GroupResource{Resource: "nodes"}]; t != nil {
		nodes, _ := ix.objects(t.list("", labels.Everything(), fields.Everything()))
		for _, n := range nodes {
			kv, _, _ := unstructured.NestedString(n.Object, "status", "nodeInfo", "kubeletVersion")
			if v, err := utilversion.ParseGeneric(kv); err == nil && v.GreaterThan(best) {
				best = v
			}
		}
	}
	return version.Info{Major: strconv.Itoa(int(best.Major())), Minor: strconv.Itoa(int(best.Minor())),
		GitVersion: "v" + best.String(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// Logs is how many container logs the index holds.
func (ix *Index) Logs() int { return len(ix.logs) }

package serve

import (
	"crypto/subtle"
	stdjson "encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// aggregatedContentType is the media type of aggregated discovery, which
// kubectl asks for first (and client-go recognises by this header).
const aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// Handler serves the index read-only, to clients that send the bearer
// token (every request is refused without it; "" accepts any).
func Handler(ix *Index, token string) http.Handler {
	return &server{ix: ix, token: token, codec: json.NewSerializerWithOptions(json.DefaultMetaFactory, nil, nil, json.SerializerOptions{}), now: time.Now}
}

type server struct {
	ix    *Index
	token string
	codec runtime.Encoder
	now   func() time.Time
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			s.status(w, apierrors.NewUnauthorized("a bearer token is required: use the kubeconfig gather serve wrote"))
			return
		}
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.status(w, readOnly(r.Method))
		return
	}
	if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" || (len(segs) > 2 && segs[2] == "watch") {
		s.status(w, readOnly("watch"))
		return
	}
	switch {
	case r.URL.Path == "/version":
		w.Header().Set("Content-Type", "application/json")
		// version.Info is no runtime.Object: the API server writes it as plain JSON too.
		_ = stdjson.NewEncoder(w).Encode(s.ix.version)
	case r.URL.Path == "/healthz" || r.URL.Path == "/livez" || r.URL.Path == "/readyz":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	case segs[0] == "api" && len(segs) == 1:
		if wantsAggregated(r) {
			s.writeDiscovery(w, s.aggregated(true))
			return
		}
		s.write(w, http.StatusOK, "application/json", &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
	case segs[0] == "apis" && len(segs) == 1:
		if wantsAggregated(r) {
			s.writeDiscovery(w, s.aggregated(false))
			return
		}
		s.write(w, http.StatusOK, "application/json", s.groupList())
	case segs[0] == "api" && len(segs) == 2:
		s.resourceList(w, schema.GroupVersion{Version: segs[1]})
	case segs[0] == "apis" && len(segs) == 2:
		g := s.group(segs[1])
		if g == nil {
			s.status(w, apierrors.NewNotFound(schema.GroupResource{}, r.URL.Path))
			return
		}
		s.write(w, http.StatusOK, "application/json", g)
	case segs[0] == "apis" && len(segs) == 3:
		s.resourceList(w, schema.GroupVersion{Group: segs[1], Version: segs[2]})
	case segs[0] == "api" && len(segs) > 2:
		s.resource(w, r, schema.GroupVersion{Version: segs[1]}, segs[2:])
	case segs[0] == "apis" && len(segs) > 3:
		s.resource(w, r, schema.GroupVersion{Group: segs[1], Version: segs[2]}, segs[3:])
	default:
		s.status(w, apierrors.NewNotFound(schema.GroupResource{}, r.URL.Path))
	}
}

// readOnly is the answer to every write and watch.
func readOnly(verb string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusMethodNotAllowed,
		Reason:  metav1.StatusReasonMethodNotAllowed,
		Message: fmt.Sprintf("%s is not supported: this API serves a gathered bundle, read-only", verb),
	}}
}

// resource serves a list, an object or a pod's log.
func (s *server) resource(w http.ResponseWriter, r *http.Request, gv schema.GroupVersion, segs []string) {
	var ns string
	if segs[0] == "namespaces" && len(segs) >= 3 {
		ns, segs = segs[1], segs[2:]
	}
	gr := gv.WithResource(segs[0]).GroupResource()
	t := s.ix.types[gr]
	if t == nil || t.gvr.Version != gv.Version || (ns != "" && !t.namespaced) {
		s.status(w, apierrors.NewNotFound(gr, ""))
		return
	}
	switch len(segs) {
	case 1:
		s.list(w, r, t, ns)
	case 2:
		e := t.objects[objectKey{ns, segs[1]}]
		if e == nil {
			s.status(w, apierrors.NewNotFound(gr, segs[1]))
			return
		}
		if wantsTable(r) {
			s.table(w, r, t, []*entry{e})
			return
		}
		obj, err := s.ix.object(e)
		if err != nil {
			s.status(w, apierrors.NewInternalError(err))
			return
		}
		s.write(w, http.StatusOK, "application/json", obj)
	case 3:
		if gr == (schema.GroupResource{Resource: "pods"}) && segs[2] == "log" {
			s.log(w, r, ns, segs[1])
			return
		}
		s.status(w, apierrors.NewNotFound(schema.GroupResource{Group: gr.Group, Resource: gr.Resource + "/" + segs[2]}, segs[1]))
	default:
		s.status(w, apierrors.NewNotFound(gr, strings.Join(segs[1:], "/")))
	}
}

// list serves a list, or its table, with the selectors applied.
func (s *server) list(w http.ResponseWriter, r *http.Request, t *resourceType, ns string) {
	q := r.URL.Query()
	ls, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		s.status(w, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err)))
		return
	}
	fs, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err == nil {
		err = checkSelector(t.gvr.GroupResource(), fs)
	}
	if err != nil {
		s.status(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	entries := t.list(ns, ls, fs)
	if wantsTable(r) {
		s.table(w, r, t, entries)
		return
	}
	objs, err := s.ix.objects(entries)
	if err != nil {
		s.status(w, apierrors.NewInternalError(err))
		return
	}
	list := &unstructured.UnstructuredList{Object: map[string]any{
		"apiVersion": t.gvr.GroupVersion().String(), "kind": t.kind + "List", "metadata": map[string]any{"resourceVersion": ""}},
		Items: objs}
	s.write(w, http.StatusOK, "application/json", list)
}

// table serves entries as a metav1.Table.
func (s *server) table(w http.ResponseWriter, r *http.Request, t *resourceType, entries []*entry) {
	include := r.URL.Query().Get("includeObject")
	var full []unstructured.Unstructured
	if include == string(metav1.IncludeObject) {
		var err error
		if full, err = s.ix.objects(entries); err != nil {
			s.status(w, apierrors.NewInternalError(err))
			return
		}
	}
	now := s.now()
	tbl := &metav1.Table{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}, ColumnDefinitions: tableColumns(t)}
	tbl.Rows = make([]metav1.TableRow, len(entries))
	for i, e := range entries {
		cells := make([]any, 0, len(e.cells)+1)
		if !t.nameLast {
			cells = append(cells, e.meta.Name)
		}
		for _, c := range e.cells {
			if a, ok := c.(cellAt); ok {
				c = a.at(now)
			}
			cells = append(cells, c)
		}
		if t.nameLast {
			cells = append(cells, e.meta.Name)
		}
		row := metav1.TableRow{Cells: cells}
		var obj runtime.Object
		switch include {
		case string(metav1.IncludeNone):
		case string(metav1.IncludeObject):
			obj = &full[i]
		default:
			obj = &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"}, ObjectMeta: e.meta}
		}
		if obj != nil {
			raw, err := runtime.Encode(s.codec, obj)
			if err != nil {
				s.status(w, apierrors.NewInternalError(err))
				return
			}
			row.Object = runtime.RawExtension{Raw: raw}
		}
		tbl.Rows[i] = row
	}
	s.write(w, http.StatusOK, "application/json", tbl)
}

// write encodes obj with apimachinery's JSON serializer.
func (s *server) write(w http.ResponseWriter, code int, contentType string, obj runtime.Object) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	// The status line is out: an error here is the client's going away.
	_ = s.codec.Encode(obj, w)
}

// status answers with a Kubernetes Status.
func (s *server) status(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.ErrStatus
	st.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}
	st.Status = metav1.StatusFailure
	s.write(w, int(st.Code), "application/json", &st)
}

// accepts reports whether an Accept header asks for a media type whose
// parameters include all of params.
func accepts(r *http.Request, params map[string]string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		typ, p, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || typ != "application/json" {
			continue
		}
		ok := true
		for k, v := range params {
			ok = ok && p[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func wantsTable(r *http.Request) bool {
	return accepts(r, map[string]string{"as": "Table", "g": "meta.k8s.io", "v": "v1"})
}

func wantsAggregated(r *http.Request) bool {
	return accepts(r, map[string]string{"as": "APIGroupDiscoveryList", "g": "apidiscovery.k8s.io", "v": "v2"})
}

// versions are the group versions the bundle serves, by group, the
// preferred (newest) first.
func (s *server) versions() map[string][]string {
	out := map[string][]string{}
	for _, t := range s.ix.types {
		g := t.gvr.Group
		if !slices.Contains(out[g], t.gvr.Version) {
			out[g] = append(out[g], t.gvr.Version)
		}
	}
	for _, vs := range out {
		slices.SortFunc(vs, func(a, b string) int { return compareVersions(b, a) })
	}
	return out
}

// typesOf are the resources of a group version, by name.
func (s *server) typesOf(gv schema.GroupVersion) []*resourceType {
	var out []*resourceType
	for _, t := range s.ix.types {
		if t.gvr.GroupVersion() == gv {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *resourceType) int { return strings.Compare(a.gvr.Resource, b.gvr.Resource) })
	return out
}

var verbs = []string{"get", "list"}

func (s *server) resourceList(w http.ResponseWriter, gv schema.GroupVersion) {
	types := s.typesOf(gv)
	if len(types) == 0 {
		s.status(w, apierrors.NewNotFound(schema.GroupResource{}, gv.String()))
		return
	}
	list := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	for _, t := range types {
		list.APIResources = append(list.APIResources, metav1.APIResource{Name: t.gvr.Resource, SingularName: t.singular,
			Namespaced: t.namespaced, Kind: t.kind, Verbs: verbs, ShortNames: t.shortNames, Categories: t.categories})
		if t.gvr.Resource == "pods" && gv.Group == "" {
			list.APIResources = append(list.APIResources, metav1.APIResource{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}})
		}
	}
	s.write(w, http.StatusOK, "application/json", list)
}

func (s *server) group(name string) *metav1.APIGroup {
	vs := s.versions()[name]
	if name == "" || len(vs) == 0 {
		return nil
	}
	g := &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: name}
	for _, v := range vs {
		g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: name + "/" + v, Version: v})
	}
	g.PreferredVersion = g.Versions[0]
	return g
}

func (s *server) groupList() *metav1.APIGroupList {
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	vs := s.versions()
	for _, name := range sortedKeys(vs) {
		if g := s.group(name); g != nil {
			list.Groups = append(list.Groups, *g)
		}
	}
	return list
}

// aggregated is the aggregated discovery of /api (legacy) or /apis.
func (s *server) aggregated(legacy bool) *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	vs := s.versions()
	for _, name := range sortedKeys(vs) {
		if (name == "") != legacy {
			continue
		}
		g := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: name}}
		for _, v := range vs[name] {
			gv := schema.GroupVersion{Group: name, Version: v}
			d := apidiscoveryv2.APIVersionDiscovery{Version: v, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
			for _, t := range s.typesOf(gv) {
				scope := apidiscoveryv2.ScopeCluster
				if t.namespaced {
					scope = apidiscoveryv2.ScopeNamespace
				}
				rd := apidiscoveryv2.APIResourceDiscovery{Resource: t.gvr.Resource, SingularResource: t.singular, Scope: scope,
					ResponseKind: &metav1.GroupVersionKind{Group: name, Version: v, Kind: t.kind}, Verbs: verbs,
					ShortNames: t.shortNames, Categories: t.categories}
				if t.gvr.Resource == "pods" && legacy {
					rd.Subresources = []apidiscoveryv2.APISubresourceDiscovery{{Subresource: "log",
						ResponseKind: &metav1.GroupVersionKind{Kind: "Pod"}, Verbs: []string{"get"}}}
				}
				d.Resources = append(d.Resources, rd)
			}
			g.Versions = append(g.Versions, d)
		}
		list.Items = append(list.Items, g)
	}
	return list
}

func (s *server) writeDiscovery(w http.ResponseWriter, list *apidiscoveryv2.APIGroupDiscoveryList) {
	s.write(w, http.StatusOK, aggregatedContentType, list)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

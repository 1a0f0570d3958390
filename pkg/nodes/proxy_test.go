package nodes

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The proxy's answers as the apiserver gives them: a listing of links, and
// a refusal (a JSON Status, as the apiserver's authorizer writes it) that
// keeps its message and its class.
func TestLogProxyList(t *testing.T) {
	t.Parallel()
	const refusal = `nodes "n1" is forbidden: User "u" cannot get resource "nodes/proxy" in API group "" at the cluster scope`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/nodes/n1/proxy/logs/dir/":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<pre><a href="a.log">a.log</a><a href="sub%20dir/">sub dir/</a></pre>`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":` +
				`"nodes \"n1\" is forbidden: User \"u\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope","reason":"Forbidden","code":403}`))
		}
	}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := LogProxy{CS: cs}
	got, err := p.List(t.Context(), "n1", "dir")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.log", "sub dir/"}, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	_, err = p.List(t.Context(), "n1", "refused")
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), refusal) {
		t.Errorf("a refused listing: %v; want forbidden, with the server's message", err)
	}
}

package inspect

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestKubeletUnreachable(t *testing.T) {
	t.Parallel()
	fromServer := func(msg string) error { return apierrors.NewInternalError(errors.New(msg)) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": dial tcp 10.0.0.2:10250: connect: connection refused`), true},
		{"timed out", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": dial tcp 10.0.0.2:10250: i/o timeout`), true},
		{"TLS handshake", fromServer(`Get "https://10.0.0.2:10250/containerLogs/ns/p/c": net/http: TLS handshake timeout`), true},
		{"wrapped", fmt.Errorf("log of x: %w", fromServer("dial tcp 10.0.0.2:10250: connect: no route to host")), true},
		{"log not there", apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "p"), false},
		{"bad request", apierrors.NewBadRequest(`previous terminated container "c" in pod "p" not found`), false},
		// Our own connection to the apiserver failing says nothing of a node.
		{"apiserver unreachable", &url.Error{Op: "Get", URL: "https://api:6443", Err: errors.New("dial tcp 10.0.0.1:6443: connect: connection refused")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := kubeletUnreachable(tc.err); got != tc.want {
				t.Errorf("kubeletUnreachable = %v, want %v", got, tc.want)
			}
		})
	}
}

// After the first unreachable error on a node, its other logs are skipped
// and counted; other nodes and pods without a node are not affected.
func TestDeadNodes(t *testing.T) {
	t.Parallel()
	var d deadNodes
	first := errors.New("dial tcp 10.0.0.2:10250: i/o timeout")
	var got []bool
	got = append(got, d.skip("a"))
	d.trip("a", first)
	d.trip("a", errors.New("a later error"))
	d.trip("", first)
	got = append(got, d.skip("a"), d.skip("a"), d.skip("b"), d.skip(""))
	if diff := cmp.Diff([]bool{false, true, true, false, false}, got); diff != "" {
		t.Errorf("skip (-want +got):\n%s", diff)
	}
	errs := d.errors()
	if len(errs) != 1 || !errors.Is(errs[0], first) ||
		!strings.HasPrefix(errs[0].Error(), "skipped 2 container logs of pods on node a: its kubelet could not be reached") {
		t.Errorf("errors = %v", errs)
	}
}

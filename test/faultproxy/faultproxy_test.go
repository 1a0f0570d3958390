package faultproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// upstream is a stand-in API server: /api/v1/namespaces/N/configmaps
// answers an empty list, /log a short log.
func upstream(t *testing.T) *rest.Config {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer upstream-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/log") {
			_, _ = io.WriteString(w, "log line\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[]}`)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL, BearerToken: "upstream-token", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

var listOpts = metav1.ListOptions{}

func clientOf(t *testing.T, p *Proxy) kubernetes.Interface {
	cfg, err := clientcmd.BuildConfigFromFlags("", p.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Each fault as a client-go client sees it, through the kubeconfig the
// proxy writes (its CA, no credentials: the proxy adds upstream's).
func TestFaults(t *testing.T) {
	t.Parallel()
	const cms = "^/api/v1/namespaces/ns/configmaps$"
	tests := []struct {
		name     string
		rule     Rule
		check    func(err error) bool
		wantHits int
		minTime  time.Duration
	}{
		{"no fault", Rule{Path: "^/nothing$", Fault: Status, Code: 500}, func(err error) bool { return err == nil }, 0, 0},
		{"500", Rule{Path: cms, Fault: Status, Code: 500}, apierrors.IsInternalError, 1, 0},
		{"403", Rule{Path: cms, Fault: Status, Code: 403}, apierrors.IsForbidden, 1, 0},
		{"429 retried", Rule{Path: cms, Fault: Status, Code: 429, RetryAfter: 1, Times: 2}, func(err error) bool { return err == nil }, 2, 2 * time.Second},
		{"reset retried", Rule{Path: cms, Fault: Reset, Times: 1}, func(err error) bool { return err == nil }, 1, 0},
		{"slow", Rule{Path: cms, Fault: Slow, Delay: 500 * time.Millisecond}, func(err error) bool { return err == nil }, 1, 500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.rule.Name = "r"
			p := Start(t, upstream(t), tc.rule)
			start := time.Now()
			_, err := clientOf(t, p).CoreV1().ConfigMaps("ns").List(t.Context(), listOpts)
			if !tc.check(err) {
				t.Errorf("error %v", err)
			}
			if got := p.Hits("r"); got != tc.wantHits {
				t.Errorf("hits %d, want %d", got, tc.wantHits)
			}
			if took := time.Since(start); took < tc.minTime {
				t.Errorf("took %s, want at least %s", took, tc.minTime)
			}
		})
	}
}

// An endless log goes on past what the server sent; a hung one sends
// nothing more; both until the client gives up.
func TestEndlessAndHung(t *testing.T) {
	t.Parallel()
	for _, fault := range []Fault{Endless, Hang} {
		p := Start(t, upstream(t), Rule{Name: "r", Path: "/log$", Fault: fault})
		ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
		stream, err := clientOf(t, p).CoreV1().Pods("ns").GetLogs("p", &corev1.PodLogOptions{}).Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		b, _ := io.ReadAll(stream) // its error, when the context ends, depends on the transport
		took := time.Since(start)
		cancel()
		stream.Close()
		if took < 500*time.Millisecond {
			t.Errorf("fault %d: the stream ended after %s: %q", fault, took, b)
		}
		lines := strings.Count(string(b), EndlessLine)
		if !strings.HasPrefix(string(b), "log line\n") || fault == Endless && lines < 3 || fault == Hang && lines != 0 {
			t.Errorf("fault %d: read %q", fault, b)
		}
	}
}

// Down: connections are refused for its time, then served again.
func TestDown(t *testing.T) {
	t.Parallel()
	p := Start(t, upstream(t), Rule{Name: "r", Path: "^/down$", Fault: Down, Delay: time.Second, Times: 1})
	cs := clientOf(t, p)
	start := time.Now()
	// A POST: client-go retries a GET whose connection was reset.
	_ = cs.CoreV1().RESTClient().Post().AbsPath("/down").Do(t.Context()).Error()
	// The listener closes in the background.
	for {
		_, err := cs.CoreV1().ConfigMaps("ns").List(t.Context(), listOpts)
		if err != nil && strings.Contains(err.Error(), "connection refused") {
			break
		}
		if time.Since(start) > 900*time.Millisecond {
			t.Fatalf("not refused while down: %v", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := cs.CoreV1().ConfigMaps("ns").List(t.Context(), listOpts)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reachable again: %v", err)
		}
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("reachable again after %s, want a second", took)
	}
}

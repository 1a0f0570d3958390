// Package faultproxy is a fault-injecting reverse proxy for tests: it
// listens on loopback with TLS (its own CA and certificate), forwards to a
// real API server with the credentials of a rest.Config, writes a
// kubeconfig that points at itself, and answers requests that match its
// rules with faults: an HTTP status (500, 429 with Retry-After, 403), a
// reset connection, a slow answer, a hung or an endless one, or the whole
// server unreachable for a while.
package faultproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Fault is what the proxy does with a request a rule matches.
type Fault int

const (
	// Status answers with Rule.Code (a Kubernetes Status body), and a
	// Retry-After header when Rule.RetryAfter > 0.
	Status Fault = iota + 1
	// Reset closes the client's connection without an answer (TCP RST).
	Reset
	// Slow waits Rule.Delay, then forwards the request.
	Slow
	// Hang forwards the request and sends what the server answers, then
	// keeps the answer open without another byte until the client goes.
	Hang
	// Endless forwards the request and sends what the server answers, then
	// a line every 100 ms until the client goes: a log that never ends.
	Endless
	// Down makes the whole server unreachable for Rule.Delay (connections
	// refused, open ones closed), from this request on.
	Down
)

// EndlessLine is the line an Endless answer repeats.
const EndlessLine = "faultproxy: this stream never ends\n"

// Rule faults the requests that match it.
type Rule struct {
	// Name identifies the rule in Hits.
	Name string
	// Method matches the HTTP method ("" any).
	Method string
	// Path matches the URL path (a regular expression, anchored by the
	// caller as needed).
	Path string
	// Query matches the raw query ("" any).
	Query string
	Fault Fault
	// Code is the status of a Status fault.
	Code int
	// RetryAfter is the Retry-After header of a Status fault, in seconds.
	RetryAfter int
	// Delay is how long a Slow fault waits, or a Down fault lasts.
	Delay time.Duration
	// Times faults the first Times matching requests only (0: every one).
	Times int

	path, query *regexp.Regexp
}

// Proxy is a running fault proxy.
type Proxy struct {
	// URL is where it listens (https://127.0.0.1:PORT).
	URL string
	// Kubeconfig is the path of a kubeconfig that points at the proxy.
	Kubeconfig string

	t        testing.TB
	addr     string
	server   *http.Server
	upstream *url.URL
	fwd      *httputil.ReverseProxy

	mu       sync.Mutex
	rules    []*Rule
	hits     map[string]int // faulted requests, by rule name
	seen     []string       // every request: "PATH?QUERY"
	conns    map[net.Conn]bool
	ln       net.Listener
	downTill time.Time
	closed   bool
}

// Start starts a proxy to the API server of upstream, with rules; it stops
// when the test ends.
func Start(t testing.TB, upstream *rest.Config, rules ...Rule) *Proxy {
	t.Helper()
	rt, err := rest.TransportFor(upstream)
	if err != nil {
		t.Fatalf("faultproxy: transport to %s: %v", upstream.Host, err)
	}
	target, err := url.Parse(upstream.Host)
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	caPEM, cert, err := newCertificates()
	if err != nil {
		t.Fatalf("faultproxy: certificates: %v", err)
	}
	p := &Proxy{t: t, upstream: target, hits: map[string]int{}, conns: map[net.Conn]bool{}}
	p.fwd = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
		},
		Transport:     rt,
		FlushInterval: -1, // logs and watches as they come
	}
	if err := p.SetRules(rules...); err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	p.server = &http.Server{
		Handler:   p,
		TLSConfig: tlsConfig(cert),
		ConnState: p.connState,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	p.addr = ln.Addr().String()
	p.URL = "https://" + p.addr
	p.serve(ln)
	t.Cleanup(p.close)

	kc := clientcmdapi.NewConfig()
	kc.Clusters["faultproxy"] = &clientcmdapi.Cluster{Server: p.URL, CertificateAuthorityData: caPEM}
	kc.AuthInfos["faultproxy"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["faultproxy"] = &clientcmdapi.Context{Cluster: "faultproxy", AuthInfo: "faultproxy"}
	kc.CurrentContext = "faultproxy"
	p.Kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p.Kubeconfig); err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	return p
}

// SetRules replaces the rules; the first rule that matches a request
// applies.
func (p *Proxy) SetRules(rules ...Rule) error {
	var rs []*Rule
	for _, r := range rules {
		var err error
		if r.path, err = regexp.Compile(r.Path); err != nil {
			return fmt.Errorf("rule %s: %w", r.Name, err)
		}
		if r.query, err = regexp.Compile(r.Query); err != nil {
			return fmt.Errorf("rule %s: %w", r.Name, err)
		}
		rs = append(rs, &r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = rs
	return nil
}

// Hits returns how many requests the rule name faulted.
func (p *Proxy) Hits(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[name]
}

// Requests returns how many requests (faulted or not) matched the regular
// expression path, matched against "PATH?QUERY".
func (p *Proxy) Requests(path string) int {
	re := regexp.MustCompile(path)
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		if re.MatchString(s) {
			n++
		}
	}
	return n
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() { _ = p.server.ServeTLS(ln, "", "") }()
}

func (p *Proxy) connState(c net.Conn, s http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = true
	case http.StateClosed, http.StateHijacked:
		delete(p.conns, c)
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.server.Shutdown(ctx); err != nil {
		_ = p.server.Close()
	}
}

// down makes the server unreachable for d: the listener closes, open
// connections are cut, and after d it listens again on the same address.
func (p *Proxy) down(d time.Duration) {
	p.mu.Lock()
	if p.closed || time.Now().Before(p.downTill) {
		p.mu.Unlock()
		return
	}
	p.downTill = time.Now().Add(d)
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.t.Logf("faultproxy: unreachable for %s", d)
	time.AfterFunc(d, func() {
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return
		}
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Errorf("faultproxy: listening again on %s: %v", p.addr, err)
			return
		}
		p.serve(ln)
		p.t.Logf("faultproxy: reachable again")
	})
}

// match returns the rule that faults r, counting its hit, or nil.
func (p *Proxy) match(r *http.Request) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, r.URL.Path+"?"+r.URL.RawQuery)
	for _, rule := range p.rules {
		if rule.Method != "" && rule.Method != r.Method || !rule.path.MatchString(r.URL.Path) || !rule.query.MatchString(r.URL.RawQuery) {
			continue
		}
		if rule.Times > 0 && p.hits[rule.Name] >= rule.Times {
			return nil
		}
		p.hits[rule.Name]++
		return rule
	}
	return nil
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rule := p.match(r)
	if rule == nil {
		p.fwd.ServeHTTP(w, r)
		return
	}
	switch rule.Fault {
	case Status:
		writeStatus(w, rule.Code, rule.RetryAfter, fmt.Sprintf("faultproxy: rule %s", rule.Name))
	case Reset:
		reset(w)
	case Slow:
		select {
		case <-time.After(rule.Delay):
			p.fwd.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case Hang, Endless:
		p.fwd.ServeHTTP(&noEnd{ResponseWriter: w}, r)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if rule.Fault == Endless {
				if _, err := io.WriteString(w, EndlessLine); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	case Down:
		go p.down(rule.Delay)
		reset(w)
	default:
		writeStatus(w, http.StatusInternalServerError, 0, fmt.Sprintf("faultproxy: rule %s has no fault", rule.Name))
	}
}

// noEnd drops Content-Length, so an answer can go on past it.
type noEnd struct{ http.ResponseWriter }

func (n *noEnd) WriteHeader(code int) {
	n.Header().Del("Content-Length")
	n.ResponseWriter.WriteHeader(code)
}

func (n *noEnd) Flush() { n.ResponseWriter.(http.Flusher).Flush() }

// reset closes the connection of w with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// reasons are the Status reasons of the codes a rule may give.
var reasons = map[int]string{
	http.StatusForbidden:           "Forbidden",
	http.StatusNotFound:            "NotFound",
	http.StatusTooManyRequests:     "TooManyRequests",
	http.StatusInternalServerError: "InternalError",
	http.StatusServiceUnavailable:  "ServiceUnavailable",
}

// writeStatus answers with a Kubernetes Status, as the API server does.
func writeStatus(w http.ResponseWriter, code, retryAfter int, message string) {
	status := map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": message, "reason": reasons[code], "code": code,
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		status["details"] = map[string]any{"retryAfterSeconds": retryAfter}
	}
	body, err := json.Marshal(status)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

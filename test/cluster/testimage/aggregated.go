package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// FakeAPIGroup is the group the aggregated-api mode serves: one
// cluster-scoped type, things, whose objects have the names given on the
// command line (any names: an aggregated API server may serve names an
// apiserver would refuse).
const FakeAPIGroup = "evil.e2e.mgtk.io"

// aggregatedAPI serves, over HTTPS with a certificate of its own (the
// APIService skips its verification), the discovery of FakeAPIGroup/v1 and
// the list of things named names.
func aggregatedAPI(addr string, names []string) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	gv := FakeAPIGroup + "/v1"
	items := make([]any, 0, len(names))
	for _, n := range names {
		items = append(items, map[string]any{"apiVersion": gv, "kind": "Thing",
			"metadata": map[string]any{"name": n, "uid": "uid-" + fmt.Sprint(len(items)), "resourceVersion": "1"}})
	}
	routes := map[string]any{
		"/apis": map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{map[string]any{
			"name":             FakeAPIGroup,
			"versions":         []any{map[string]any{"groupVersion": gv, "version": "v1"}},
			"preferredVersion": map[string]any{"groupVersion": gv, "version": "v1"},
		}}},
		"/apis/" + gv: map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
			"resources": []any{map[string]any{"name": "things", "singularName": "thing", "namespaced": false, "kind": "Thing", "verbs": []any{"get", "list"}}}},
		"/apis/" + gv + "/things": map[string]any{"kind": "ThingList", "apiVersion": gv,
			"metadata": map[string]any{"resourceVersion": "1"}, "items": items},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[strings.TrimSuffix(r.URL.Path, "/")]
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/livez" {
			body, ok = "ok", true
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	return srv.ListenAndServeTLS("", "")
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake-aggregated-api"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

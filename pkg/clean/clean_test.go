package clean

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
)

const testCert = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUQ10.0.0.1xyz
-----END CERTIFICATE-----
`

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// writeTree writes files (slash path -> content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"img/cluster-scoped-resources/core/nodes/node-a.yaml":                     "kind: Node\nmetadata:\n  name: node-a\nstatus:\n  addresses:\n  - address: 10.1.0.5\n    type: InternalIP\n  - address: node-a.lab.corp.test\n    type: InternalDNS\n",
		"img/cluster-scoped-resources/config.openshift.io/ingresses/cluster.yaml": "kind: Ingress\nspec:\n  domain: apps.ocp.corp.test\n",
		"img/namespaces/app/core/configmaps.yaml":                                 "items:\n- apiVersion: v1\n  binaryData:\n    hosts: " + b64("10.1.0.5 node-a\n") + "\n    blob: " + b64("\x00\x01\x02\x03") + "\n  data:\n    plain: console.apps.ocp.corp.test\n    ca.crt: " + b64(testCert) + "\n  kind: ConfigMap\n",
		"img/namespaces/app/pods/web/web/logs/current.log":                        "GET from 10.1.0.7 to web.apps.ocp.corp.test\n" + testCert + "after 10.1.0.7\n",
		"img/audit_logs/kube-apiserver/node-a-audit.log.gz":                       gz(t, `{"sourceIPs":["10.1.0.7"],"host":"node-a.lab.corp.test"}`+"\n"),
		"img/nodes/node-a/ip.txt":                                                 "eth0 fd00:1::5 52:54:00:00:00:aa\n",
		"img/extra.txt":                                                           "mail me at ops@secret.corp.test",
	})
	if err := os.Symlink("node-a/ip.txt", filepath.Join(src, "img/nodes/latest-ip.txt")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	m := NewMapping()
	r, err := Clean(t.Context(), os.DirFS(src), out, m, Options{Domains: []string{"secret.corp.test"}, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := outputtest.ReadTree(t, out, true)
	// One file at a time: the pseudonyms are numbered in the order of the
	// walk (lexical); discovered domains and names first, sorted.
	want := map[string]string{
		"img/audit_logs/kube-apiserver/host-1-audit.log.gz":                       `{"sourceIPs":["198.18.0.1"],"host":"host-1.domain-2.example.invalid"}` + "\n",
		"img/cluster-scoped-resources/config.openshift.io/ingresses/cluster.yaml": "kind: Ingress\nspec:\n  domain: domain-1.example.invalid\n",
		"img/cluster-scoped-resources/core/nodes/host-1.yaml":                     "kind: Node\nmetadata:\n  name: host-1\nstatus:\n  addresses:\n  - address: 198.18.0.2\n    type: InternalIP\n  - address: host-1.domain-2.example.invalid\n    type: InternalDNS\n",
		"img/extra.txt": "mail me at ops@domain-3.example.invalid",
		"img/namespaces/app/core/configmaps.yaml":          "items:\n- apiVersion: v1\n  binaryData:\n    hosts: " + b64("198.18.0.2 host-1\n") + "\n    blob: " + b64("\x00\x01\x02\x03") + "\n  data:\n    plain: host-2.domain-1.example.invalid\n    ca.crt: " + b64(testCert) + "\n  kind: ConfigMap\n",
		"img/namespaces/app/pods/web/web/logs/current.log": "GET from 198.18.0.1 to host-3.domain-1.example.invalid\n" + testCert + "after 198.18.0.1\n",
		"img/nodes/host-1/ip.txt":                          "eth0 2001:db8::1 02:00:00:00:00:01\n",
	}
	want["img/nodes/latest-ip.txt"] = want["img/nodes/host-1/ip.txt"] // read through the link
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cleaned tree (-want +got):\n%s", diff)
	}
	if target, err := os.Readlink(filepath.Join(out, "img/nodes/latest-ip.txt")); err != nil || target != "host-1/ip.txt" {
		t.Errorf("link: %q, %v; want host-1/ip.txt", target, err)
	}
	if diff := cmp.Diff(map[string]int{"ipv4": 5, "ipv6": 1, "mac": 1, "domain": 6, "name": 6}, r.Totals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{NotCleanedCertificate: 2, NotCleanedBinaryValue: 1}, r.NotCleaned); diff != "" {
		t.Errorf("not cleaned (-want +got):\n%s", diff)
	}
	for _, orig := range []string{"10.1.0.5", "10.1.0.7", "node-a", "corp.test", "fd00:1::5", "52:54:00:00:00:aa"} {
		for name, text := range got {
			if strings.Contains(name, orig) || (strings.Contains(text, orig) && !strings.Contains(testCert, orig)) {
				t.Errorf("%s still holds %s", name, orig)
			}
		}
	}

	// A second run with the mapping, written and read back, gives the
	// same tree.
	mf := filepath.Join(t.TempDir(), "mapping.json")
	if err := m.Write(mf); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(mf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mapping file: %v %v", fi, err)
	}
	m2, err := ReadMapping(mf)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "out")
	if _, err := Clean(t.Context(), os.DirFS(src), out2, m2, Options{Domains: []string{"secret.corp.test"}, Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, outputtest.ReadTree(t, out2, true)); diff != "" {
		t.Errorf("second run (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(m.Pseudonyms(), m2.Pseudonyms()); diff != "" {
		t.Errorf("the second run changed the mapping (-first +second):\n%s", diff)
	}
}

// A file that cannot be cleaned (a .gz that is not gzip) is left out and
// named in the report by its cleaned path; the others are written.
func TestCleanKeepsGoing(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"cluster-scoped-resources/core/nodes/node-b.yaml": "kind: Node\nmetadata:\n  name: node-b\n",
		"node-b/broken.log.gz":                            "not gzip 10.2.0.1\n",
		"node-b/fine.log":                                 "from 10.2.0.1\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	r, err := Clean(t.Context(), os.DirFS(src), out, NewMapping(), Options{})
	if err == nil {
		t.Fatal("no error for a .gz that is not gzip")
	}
	got := outputtest.ReadTree(t, out, true)
	if diff := cmp.Diff(map[string]string{
		"cluster-scoped-resources/core/nodes/host-1.yaml": "kind: Node\nmetadata:\n  name: host-1\n",
		"host-1/fine.log": "from 198.18.0.1\n",
	}, got); diff != "" {
		t.Errorf("cleaned tree (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0], "cleaning host-1/broken.log.gz: ") || strings.Contains(r.Errors[0], "node-b") {
		t.Errorf("report errors %q, want one for host-1/broken.log.gz without node-b", r.Errors)
	}
}

// An ended context stops the run: its error says so.
func TestCleanStopsWithItsContext(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.log": "10.4.0.1\n", "b/c.log": "10.4.0.2\n"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Clean(ctx, os.DirFS(src), filepath.Join(t.TempDir(), "out"), NewMapping(), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

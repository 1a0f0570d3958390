package clean

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFileCleaner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format format
		in     string
		want   string
	}{
		{"certificate lines kept, text around cleaned", formatText,
			"a 10.0.0.1\n" + testCert + "b 10.0.0.1\n",
			"a 198.18.0.1\n" + testCert + "b 198.18.0.1\n"},
		{"certificate inside one JSON line", formatText,
			`{"ip":"10.0.0.1","ca":"-----BEGIN CERTIFICATE-----\nMII10.0.0.2\n-----END CERTIFICATE-----\n","node":"worker-7"}` + "\n",
			`{"ip":"198.18.0.1","ca":"-----BEGIN CERTIFICATE-----\nMII10.0.0.2\n-----END CERTIFICATE-----\n","node":"host-1"}` + "\n"},
		{"base64 values of data and binaryData", formatYAML,
			"data:\n  a: " + b64("x 10.0.0.1") + "\n  b: \"" + b64("worker-7") + "\"\nkind: Secret\nother:\n  c: " + b64("10.0.0.1") + "\n",
			"data:\n  a: " + b64("x 198.18.0.1") + "\n  b: \"" + b64("host-1") + "\"\nkind: Secret\nother:\n  c: " + b64("10.0.0.1") + "\n"},
		{"plain data values stay plain", formatYAML,
			"data:\n  a: plain 10.0.0.1\n  b: abcd\n",
			"data:\n  a: plain 198.18.0.1\n  b: abcd\n"},
		{"no yaml: base64 not decoded", formatText,
			"data:\n  a: " + b64("10.0.0.1") + "\n",
			"data:\n  a: " + b64("10.0.0.1") + "\n"},
		{"base64 values of JSON data objects", formatJSON,
			"{\n  \"binaryData\": {\n    \"a\": \"" + b64("x 10.0.0.1") + "\",\n    \"b\": \"AAEC\"\n  },\n  \"other\": {\n    \"c\": \"" + b64("10.0.0.1") + "\"\n  }\n}\n",
			"{\n  \"binaryData\": {\n    \"a\": \"" + b64("x 198.18.0.1") + "\",\n    \"b\": \"AAEC\"\n  },\n  \"other\": {\n    \"c\": \"" + b64("10.0.0.1") + "\"\n  }\n}\n"},
		{"crlf and no final newline", formatText, "10.0.0.1\r\n10.0.0.2", "198.18.0.1\r\n198.18.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			fc := newFileCleaner(newScanner(newMatcher(testMapping())), tt.format)
			if err := fc.stream(context.Background(), &out, strings.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A line longer than maxLine is cleaned in pieces cut between tokens: no
// address is split, and memory stays bounded.
func TestFileCleanerLongLine(t *testing.T) {
	t.Parallel()
	unit := "10.0.0.1 worker-7 "
	in := strings.Repeat(unit, maxLine/len(unit)*3)
	var out bytes.Buffer
	fc := newFileCleaner(newScanner(newMatcher(testMapping())), formatText)
	if err := fc.stream(context.Background(), &out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("198.18.0.1 host-1 ", maxLine/len(unit)*3)
	if out.String() != want {
		t.Errorf("got %d bytes, want %d; first difference at %d", out.Len(), len(want), firstDiff(out.String(), want))
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/cluster-scoped-resources/core/nodes.yaml":                                  "apiVersion: v1\nkind: NodeList\nitems:\n- kind: Node\n  metadata: {name: ip-10-0-1-2.ec2.internal}\n  status:\n    addresses:\n    - {type: InternalIP, address: 10.0.1.2}\n    - {type: Hostname, address: ip-10-0-1-2.ec2.internal}\n- kind: Node\n  metadata: {name: localhost}\n",
		"a/cluster-scoped-resources/config.openshift.io/infrastructures/cluster.yaml": "kind: Infrastructure\nstatus:\n  apiServerURL: https://api.ocp1.corp.test:6443\n  apiServerInternalURI: https://api-int.ocp1.corp.test:6443\n",
		"a/cluster-scoped-resources/config.openshift.io/dnses.yaml":                   "---\nkind: DNS\nspec: {baseDomain: Corp.Test.}\n---\nkind: DNS\nspec: {baseDomain: cluster.local}\n",
		"a/cluster-scoped-resources/config.openshift.io/ingresses/cluster.yaml":       "kind: Ingress\nspec: {domain: apps.ocp1.corp.test, appsDomain: apps.example.invalid}\n",
		"b/cluster-scoped-resources/core/nodes/worker-1.yaml":                         "kind: Node\nmetadata: {name: worker-1}\n",
		"b/namespaces/x/core/configmaps.yaml":                                         "not: [yaml\n",
	})
	got, err := Discover(t.Context(), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := Found{
		Domains: []string{"corp.test", "ocp1.corp.test", "apps.ocp1.corp.test", "ec2.internal"}, // in the order of the walk
		Names:   []string{"ip-10-0-1-2", "worker-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A file that does not parse is an error; the others are read.
	writeTree(t, dir, map[string]string{"c/cluster-scoped-resources/core/nodes/bad.yaml": "kind: [Node\n"})
	got, err = Discover(t.Context(), os.DirFS(dir))
	if err == nil || !strings.Contains(err.Error(), filepath.ToSlash("c/cluster-scoped-resources/core/nodes/bad.yaml")) {
		t.Errorf("error %v, want one naming bad.yaml", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with a bad file (-want +got):\n%s", diff)
	}
}

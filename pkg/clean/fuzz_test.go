package clean

import (
	"bytes"
	"context"
	"testing"
)

// cleanBytes cleans in as a file of format f with m.
func cleanBytes(t testing.TB, m *Mapping, f format, in []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	fc := newFileCleaner(newScanner(newMatcher(m)), f)
	if err := fc.stream(context.Background(), &out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// FuzzClean: cleaning never panics, and what it writes has nothing left
// to replace: cleaned again with the same mapping, it stays the same and
// the mapping gains nothing. So no original value the mapping replaced is
// found in it: the detectors would have replaced it by its pseudonym.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"node 10.0.0.1 fd00::1 52:54:00:ab:cd:ef worker-7.c1.corp.example.com\n",
		"binaryData:\n  a: " + b64("10.0.0.1 worker-7\n") + "\n  b: AAEC\ndata:\n  x: y\n",
		testCert + "ip 10.1.1.1\n",
		"GET /api?fieldSelector=spec.nodeName%3Dworker-7 10.0.0.1:6443 [fe80::1%eth0]:443 12:34:56\n",
		"a:10.0.0.1::1.2.3.4.5-10.0.0.2.-worker-7.",
		"ip-10-0-1-3.us-west-2.compute.internal ip-10-0-1-3.c1.corp.example.com",
		"{\n \"data\": {\n  \"a\": \"" + b64("10.0.0.1 worker-7") + "\"\n }\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m := testMapping()
		f := formatYAML // and JSON for inputs of odd length
		if len(in)%2 == 1 {
			f = formatJSON
		}
		once := cleanBytes(t, m, f, in)
		n := m.Len()
		twice := cleanBytes(t, m, f, once)
		if !bytes.Equal(once, twice) {
			t.Fatalf("cleaning again changed the text:\n in: %q\nonce: %q\ntwice: %q", in, once, twice)
		}
		if m.Len() != n {
			t.Fatalf("cleaning again added to the mapping: %v", m.Pseudonyms())
		}
	})
}

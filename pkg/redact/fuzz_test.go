package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// splitWrite writes in through a new writer of newW, cut at the offsets
// cuts gives (bytes of it, each taken modulo what is left), and returns
// what came out.
func splitWrite(t *testing.T, newW func(io.Writer) io.WriteCloser, in, cuts []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := newW(&out)
	for i := 0; len(in) > 0; i++ {
		n := len(in)
		if i < len(cuts) {
			n = int(cuts[i])%len(in) + 1
		}
		if k, err := w.Write(in[:n]); err != nil || k != n {
			t.Fatalf("Write = %d, %v; want %d", k, err, n)
		}
		in = in[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// smallLineWriter is a LineWriter that holds lines of at most max bytes,
// so the fuzzer reaches the pieces of a long line with short inputs (the
// rules are those of NewLineWriter; only the bound is smaller).
func smallLineWriter(max int) func(io.Writer) io.WriteCloser {
	return func(w io.Writer) io.WriteCloser { return &lineWriter{s: &streamer{max: max}, w: w} }
}

var lineSeeds = []string{
	"x password=a\ny\nAuthorization: Bearer b",
	"before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nABCDEFGH\n-----END RSA PRIVATE KEY-----\nafter token=x\n",
	`{"token":"abc\"def","apiKey":"k"}` + "\r\n",
	"http://user:p@ss@proxy:3128 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln sha256~abcdefghijklmnop\n",
	"tls.key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEE\n",
	"\xff\xfe\x00password=\xc3\x28\n",
}

// FuzzLineWriterSplit: a LineWriter's output does not depend on how its
// input is cut into writes, for lines short and longer than its bound.
func FuzzLineWriterSplit(f *testing.F) {
	for _, s := range lineSeeds {
		f.Add([]byte(s), []byte{1, 7, 200, 3}, uint16(0))
		f.Add([]byte(s), []byte{0}, uint16(9000))
	}
	f.Fuzz(func(t *testing.T, in, cuts []byte, pad uint16) {
		if pad > 0 {
			// A long line: the input with pad bytes of a value in its
			// middle.
			at := len(in) / 2
			in = bytes.Join([][]byte{in[:at], bytes.Repeat([]byte("Z"), int(pad)), in[at:]}, nil)
		}
		for _, newW := range []func(io.Writer) io.WriteCloser{NewLineWriter, NewAuditWriter, smallLineWriter(3 * pieceOverlap)} {
			whole := splitWrite(t, newW, in, nil)
			split := splitWrite(t, newW, in, cuts)
			if !bytes.Equal(whole, split) {
				t.Fatalf("written whole and in writes cut at %v, the output differs:\n%s", cuts, cmp.Diff(string(whole), string(split)))
			}
		}
	})
}

// planted is a form of a secret value the line rules mask: in form, %s is
// the value, of at least min characters of chars.
type planted struct {
	form  string
	chars string
	min   int
}

// Characters of values: those of passwords, tokens and base64; of base64url
// (OAuth tokens); of a URL's userinfo.
const (
	valueChars    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~"
	b64URLChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	userinfoChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=_-.~"
)

var plantedForms = []planted{
	{"password=%s", valueChars, 8},
	{`"client_secret": "%s"`, valueChars, 8},
	{`{\"token\":\"%s\"}`, valueChars, 8},
	{"AWS_SECRET_ACCESS_KEY=%s", valueChars, 8},
	{"X-Api-Key: %s", valueChars, 8},
	{"Authorization: Bearer %s", valueChars, 8},
	{`"Authorization":["Basic %s"]`, valueChars, 8},
	{"-H 'authorization: bearer %s'", valueChars, 8},
	{"https://user:%s@proxy.example.com:3128/x", userinfoChars, 8},
	{"https://%s@github.com/org/repo", userinfoChars, 8},
	// Without a key: OAuth tokens of 20 characters or more.
	{"sha256~%s", b64URLChars, 20},
	{"-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----", valueChars, 8},
	{`"tls.key": "-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n"`, valueChars, 8},
}

// FuzzLineRulesPlanted: a secret value planted in any form the rules name,
// between any text (on lines of their own), never comes out of a
// LineWriter, however its input is cut into writes.
func FuzzLineRulesPlanted(f *testing.F) {
	for i := range plantedForms {
		f.Add(uint8(i), "s3cretVal_abcdefghijklmn", "2026-01-02T03:04:05Z info ", " done", []byte{5})
		f.Add(uint8(i), "QUJDREVGR0hJSktMTU5PUA==", `{"log":"`, `"}`, []byte{1, 1, 1})
	}
	f.Fuzz(func(t *testing.T, form uint8, value, before, after string, cuts []byte) {
		p := plantedForms[int(form)%len(plantedForms)]
		value = strings.Map(func(r rune) rune {
			if strings.ContainsRune(p.chars, r) {
				return r
			}
			return -1
		}, value)
		if len(value) < p.min || len(value) > 256 || strings.Contains(before, value) || strings.Contains(after, value) {
			return
		}
		// Text around the secret is on lines of its own: on the same line
		// it may open a quote the value then belongs to, or make the key a
		// longer word.
		line := fmt.Sprintf(p.form, value)
		in := before + "\n" + line + "\n" + after
		for _, newW := range []func(io.Writer) io.WriteCloser{NewLineWriter, smallLineWriter(3 * pieceOverlap)} {
			out := splitWrite(t, newW, []byte(in), cuts)
			if bytes.Contains(out, []byte(value)) {
				t.Fatalf("the value %q of %q is in the output:\n%s", value, p.form, out)
			}
		}
		if got := Line(line); !strings.Contains(line, "\n") && strings.Contains(got, value) {
			t.Fatalf("Line(%q) = %q keeps the value", line, got)
		}
	})
}

// FuzzSecretObject: a Secret's values, from data and stringData, alone or
// in a List, become "N bytes long" (but for the certificates kept), its
// last-applied annotation is blanked, nothing else changes, each value is
// told to the Recorder, and the input is not changed.
func FuzzSecretObject(f *testing.F) {
	f.Add("password", "hunter2hunter2", "tls.key", "-----BEGIN PRIVATE KEY-----\nMIIE\n", true)
	f.Add("token", "eyJhbGciOiJIUzI1NiJ9.e30.sig", "ca.crt", "not secret but kept", false)
	f.Fuzz(func(t *testing.T, key1, value1, key2, value2 string, inList bool) {
		if key1 == key2 {
			return
		}
		secret := func(data, stringData, applied string) map[string]any {
			return map[string]any{
				"apiVersion": "v1", "kind": "Secret",
				"metadata": map[string]any{"name": "s", "namespace": "ns",
					"annotations": map[string]any{lastApplied: applied}},
				"data":       map[string]any{key1: data},
				"stringData": map[string]any{key2: stringData},
			}
		}
		list := func(s map[string]any) map[string]any {
			if !inList {
				return s
			}
			return map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{s}}
		}
		encoded := base64.StdEncoding.EncodeToString([]byte(value1))
		applied, err := json.Marshal(secret(encoded, value2, ""))
		if err != nil {
			t.Fatal(err)
		}
		obj := list(secret(encoded, value2, string(applied)))
		before, _ := json.Marshal(obj)
		var rec recorder
		got := ObjectRecorded(obj, &rec)
		after, _ := json.Marshal(obj)
		if !bytes.Equal(before, after) {
			t.Fatalf("the input changed:\n%s", cmp.Diff(string(before), string(after)))
		}
		wantData, wantString := base64.StdEncoding.EncodeToString(bytesLong(len(value1))), string(bytesLong(len(value2)))
		var wantRec []string
		if publicSecretKeys[key1] {
			wantData = encoded
		} else if value1 != "" {
			wantRec = append(wantRec, "secret.data "+value1)
		}
		if publicSecretKeys[key2] {
			wantString = value2
		} else if value2 != "" {
			wantRec = append(wantRec, "secret.stringData "+value2)
		}
		if diff := cmp.Diff(list(secret(wantData, wantString, "")), got); diff != "" {
			t.Fatalf("redacted (-want +got):\n%s", diff)
		}
		for _, w := range wantRec {
			if !slices.Contains(rec, w) {
				t.Fatalf("%q not recorded: %q", w, rec)
			}
		}
	})
}

// FuzzObjectJSON: Object takes any JSON object without panicking, leaves
// it unchanged, and its copy marshals.
func FuzzObjectJSON(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Secret","data":{"a":"YWJj"},"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"a\":\"x\"}}"}}}`))
	f.Add([]byte(`{"kind":"List","items":[{"kind":"ConfigMap","data":{"kubeconfig":"apiVersion: v1\nkind: Config\nusers:\n- user:\n    token: abc\n"}}]}`))
	f.Add([]byte(`{"kind":"Route","spec":{"tls":{"key":"k"}}}`))
	f.Add([]byte(`{"kind":"Pod","spec":{"containers":[{"args":["--password=x"],"env":[{"name":"API_TOKEN","value":"v"}]}]}}`))
	f.Add([]byte(`{"kind":"BuildConfig","apiVersion":"build.openshift.io/v1","spec":{"source":{"git":{"uri":"https://u:p@h/r"}}}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var obj map[string]any
		if json.Unmarshal(in, &obj) != nil || obj == nil {
			return
		}
		before, _ := json.Marshal(obj)
		out := Object(obj)
		after, _ := json.Marshal(obj)
		if !bytes.Equal(before, after) {
			t.Fatalf("the input changed:\n%s", cmp.Diff(string(before), string(after)))
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("the redacted copy does not marshal: %v", err)
		}
	})
}

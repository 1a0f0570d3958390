package redact

import (
	"bytes"
	"encoding/json"
	"strings"
)

// lastApplied: kubectl apply keeps the whole applied object, as JSON, in the
// annotation kubectl.kubernetes.io/last-applied-configuration, so a field a
// rule elides from an object is still there (oc adm inspect blanks it on
// Secrets only, pkg/cli/admin/inspect/secret.go; it leaks a Route's
// spec.tls.key and a Proxy's credentials there). The annotation gets the
// same rules as the object: it is decoded, redacted and encoded again when a
// rule elided something (else it stays byte for byte), and dropped when it
// is not a JSON object (it cannot be checked).
func (w *walker) lastApplied(obj map[string]any) {
	ann := annotations(obj)
	v, ok := ann[lastApplied]
	if !ok {
		return
	}
	s, ok := v.(string)
	if !ok {
		delete(ann, lastApplied)
		return
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	before := w.elided
	redacted, ok := w.decodeLastApplied(s)
	if !ok {
		delete(ann, lastApplied)
		return
	}
	if w.elided == before {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as kubectl writes it
	if err := enc.Encode(redacted); err != nil {
		delete(ann, lastApplied)
		return
	}
	out := buf.Bytes() // Encode ends it with a newline, as kubectl does
	if !strings.HasSuffix(s, "\n") {
		out = bytes.TrimSuffix(out, []byte("\n"))
	}
	ann[lastApplied] = string(out)
}

// decodeLastApplied decodes a last-applied-configuration and returns its
// redacted copy; false when it is not one JSON object. Numbers stay as they
// were written (json.Number).
func (w *walker) decodeLastApplied(s string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	return w.copyMap(m), true
}

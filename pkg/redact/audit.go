package redact

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Audit rules, for each line of an audit log (an audit event, JSON):
//
//   - requestObject and responseObject are dropped for the resources whose
//     objects are credentials: secrets, tokenreviews (spec.token),
//     serviceaccounts/token (TokenRequests), tokenrequests,
//     oauthaccesstokens, oauthauthorizetokens, useroauthaccesstokens and
//     oauthclients (their secret); the event itself stays (who did what to
//     which object, when, and how it ended). CertificateSigningRequests
//     carry no private key (a request and a certificate are public): their
//     objects follow the next rule, like any other;
//   - the objects of every other resource get the object rules (Object);
//   - then the whole line gets the line rules (Line): requestURI with a
//     token in its query, user agents, annotations, and whatever the
//     object rules do not know in the objects (a --password= in a
//     container's args, a password: in a ConfigMap).
//
// A line that is not an event (another log in the directory) gets the line
// rules only. An event that cannot be read (the last line of a live log,
// cut while it was written) keeps what comes before its objects, closed
// with "}", and loses the rest.

// credentialResources are the resources whose objects audit events never
// carry.
var credentialResources = map[string]bool{
	"secrets":               true,
	"tokenreviews":          true,
	"tokenrequests":         true,
	"oauthaccesstokens":     true,
	"oauthauthorizetokens":  true,
	"useroauthaccesstokens": true,
	"oauthclients":          true,
}

var (
	requestObjectKey  = []byte(`"requestObject"`)
	responseObjectKey = []byte(`"responseObject"`)
)

// AuditEvent returns an audit log line (an audit event) with the audit
// rules applied; a line with nothing to redact is returned as it is.
func AuditEvent(line []byte) []byte {
	return appendAudit(nil, line)
}

// appendAudit appends line, redacted by the audit rules, to dst.
func appendAudit(dst, line []byte) []byte {
	if !bytes.Contains(line, requestObjectKey) && !bytes.Contains(line, responseObjectKey) {
		return appendLine(dst, line)
	}
	end := lineEnd(line)
	rebuilt, ok := auditObjects(line[:end])
	if !ok {
		// Not an event we can read: keep what is before the objects.
		cut := objectKeyIndex(line[:end])
		dst = appendLine(dst, line[:cut])
		dst = append(dst, '}')
		return append(dst, line[end:]...)
	}
	if rebuilt == nil {
		return appendLine(dst, line)
	}
	dst = appendLine(dst, rebuilt)
	return append(dst, line[end:]...)
}

// objectKeyIndex returns where the first member of an event's objects
// starts (its comma included), or -1.
func objectKeyIndex(b []byte) int {
	k := -1
	for _, key := range [][]byte{requestObjectKey, responseObjectKey} {
		if i := bytes.Index(b, key); i >= 0 && (k < 0 || i < k) {
			k = i
		}
	}
	if k > 0 && b[k-1] == ',' {
		k--
	}
	return k
}

// member is one member of a JSON object, in its order.
type member struct {
	key string
	raw json.RawMessage
}

// auditObjects applies the object rules to an event (one JSON object,
// without its newline): it returns the event rebuilt, nil when nothing
// changed, and false when b is no JSON object.
func auditObjects(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var members []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, ok := t.(string)
		if !ok {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		members = append(members, member{key, raw})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return nil, false
	}
	var ref struct{ Resource, Subresource string }
	for _, m := range members {
		if m.key == "objectRef" {
			_ = json.Unmarshal(m.raw, &ref)
		}
	}
	drop := credentialResources[ref.Resource] || ref.Resource == "serviceaccounts" && ref.Subresource == "token"
	changed := false
	out := members[:0]
	for _, m := range members {
		if m.key == "requestObject" || m.key == "responseObject" {
			if drop {
				changed = true
				continue
			}
			if r, ok := redactObject(m.raw); ok {
				m.raw, changed = r, true
			}
		}
		out = append(out, m)
	}
	if !changed {
		return nil, true
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	buf.WriteByte('{')
	for i, m := range out {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), true
}

// redactObject applies the object rules to an event's object; false when
// they change nothing.
func redactObject(raw json.RawMessage) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false
	}
	red := Object(obj)
	if reflect.DeepEqual(obj, red) {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(red); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// Package redact holds the rules that keep secrets out of a gather's
// result: for objects (the sink applies them to every object and list file
// it writes, so no collector can bypass them).
package redact

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
)

// Object rules (docs/inspect.md has them as a table, with their sources):
//
//   - Secret (v1): every data value becomes the base64 encoding of "<N>
//     bytes long" (the object stays a valid Secret readers can decode),
//     stringData values become "<N> bytes long"; the public keys tls.crt,
//     ca.crt and service-ca.crt are kept; the annotations
//     openshift.io/token-secret.value and last-applied-configuration are
//     blanked (oc adm inspect: pkg/cli/admin/inspect/secret.go).
//   - Route: spec.tls.key is blanked (oc: pkg/cli/admin/inspect/route.go).
//   - OAuthClient: secret and additionalSecrets (objecttypes.go).
//   - ConfigMap: the credentials of a kubeconfig held in data (kubeconfig.go).
//   - BuildConfig and Build: webhook secrets (objecttypes.go).
//   - Any object: the last-applied-configuration annotation gets the same
//     rules as the object (lastapplied.go).
//   - Any map {name: X, value: V} (container env, build args, template
//     parameters, HTTP headers) whose name X ends in a credential word, and
//     any args or command item --password=V or --password V: V is replaced
//     (credentials.go).
//   - Every string value and map key of every object: credentials in URLs
//     (scheme://user:password@host) are masked. `oc adm inspect` leaks proxy
//     credentials exactly there (list files, last-applied-configuration).
//   - Objects inside objects (List items, Template objects, anything holding
//     a map with a string apiVersion and kind) get the rules of their type.
//
// Replacements, one convention: Secret values become "<N> bytes long" (as
// oc writes them); the fields oc blanks (Secret annotations, Route
// spec.tls.key) are "" as oc writes them; every other elided value is the
// text REDACTED (Masked).

const (
	lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
	// Masked replaces an elided value (a URL's password, a credential).
	Masked = "REDACTED"
)

// Recorder is told every value a rule elides (and nothing else), so that a
// later scan can look for these values elsewhere in a gather's result. The
// rule names a rule of the table in docs/inspect.md (e.g. "secret.data").
type Recorder interface {
	Elided(rule, value string)
}

// publicSecretKeys are kept in Secrets: certificates, not keys.
var publicSecretKeys = map[string]bool{"tls.crt": true, "ca.crt": true, "service-ca.crt": true}

// urlCredentials matches the userinfo of a URL: scheme://USERINFO@. The
// userinfo runs to the last @ before the path (a password may hold a raw @).
var urlCredentials = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s"'\\]+)@`)

// MaskURLCredentials masks the credentials of every URL in s: the password
// of user:password, or the whole userinfo when it has no password (a token).
func MaskURLCredentials(s string) string {
	var w walker
	return w.maskURLs(s)
}

// Object returns a redacted deep copy of an object (as decoded from JSON:
// maps, slices, strings, numbers, bools). The input is not changed.
func Object(obj map[string]any) map[string]any {
	return ObjectRecorded(obj, nil)
}

// ObjectRecorded is Object that tells rec every value it elides; a nil rec
// records nothing.
func ObjectRecorded(obj map[string]any, rec Recorder) map[string]any {
	w := walker{rec: rec}
	return w.copyMap(obj)
}

// walker makes the redacted copy in one pass: it copies bottom-up, so a map's
// rules see the already redacted copies of its children.
type walker struct {
	rec Recorder
	// elided counts the values elided so far, so the last-applied rule
	// knows whether the decoded annotation changed.
	elided int
}

func (w *walker) elide(rule, value string) {
	w.elided++
	if w.rec != nil {
		w.rec.Elided(rule, value)
	}
}

func (w *walker) copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	var object, named, lists bool
	for k, v := range m {
		switch k {
		case "apiVersion", "kind":
			object = true
		case "name":
			named = true
		case "args", "command":
			lists = true
		}
		out[w.maskURLs(k)] = w.copyValue(v)
	}
	if named {
		w.credentialNameValue(out)
	}
	if lists {
		for _, k := range [...]string{"args", "command"} {
			if l, ok := out[k].([]any); ok {
				w.credentialArgs(l)
			}
		}
	}
	if object {
		apiVersion, ok1 := out["apiVersion"].(string)
		kind, ok2 := out["kind"].(string)
		if ok1 && ok2 {
			w.object(out, apiVersion, kind)
			w.listItems(out, apiVersion, kind)
		}
	}
	return out
}

// listItems gives the items of a typed list (a SecretList, a ConfigMapList)
// that do not name their type the rules of the list's item type: the API
// answers a list without apiVersion and kind on its items (an audit
// event's responseObject of a list is such a list).
func (w *walker) listItems(list map[string]any, apiVersion, kind string) {
	itemKind, ok := strings.CutSuffix(kind, "List")
	if !ok || itemKind == "" {
		return
	}
	items, _ := list["items"].([]any)
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		if _, has := m["kind"]; has {
			continue
		}
		w.object(m, apiVersion, itemKind)
	}
}

func (w *walker) copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return w.copyMap(t)
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = w.copyValue(x)
		}
		return s
	case string:
		return w.maskURLs(t)
	default:
		return v
	}
}

// maskURLs masks the credentials of every URL in s, recording each password
// or token ("url.credentials").
func (w *walker) maskURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	idx := urlCredentials.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range idx {
		// m: whole match [0,1], scheme [2,3], userinfo [4,5].
		userinfo := s[m[4]:m[5]]
		b.WriteString(s[last:m[4]])
		secret := userinfo
		if user, pass, ok := strings.Cut(userinfo, ":"); ok {
			b.WriteString(user)
			b.WriteByte(':')
			secret = pass
		}
		b.WriteString(Masked)
		b.WriteByte('@')
		w.elide("url.credentials", secret)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// object applies the rules of an object's type to its (copied) map.
func (w *walker) object(obj map[string]any, apiVersion, kind string) {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = "" // "v1": the core group, or the legacy form of OpenShift's types
	}
	switch kind {
	case "Secret":
		if apiVersion == "v1" {
			w.secret(obj)
			return // its last-applied-configuration is blanked
		}
	case "Route":
		if group == "route.openshift.io" || group == "" {
			w.route(obj)
		}
	case "OAuthClient":
		if group == "oauth.openshift.io" || group == "" {
			w.oauthClient(obj)
		}
	case "ConfigMap":
		if group == "" {
			w.configMap(obj)
		}
	case "BuildConfig":
		if group == "build.openshift.io" || group == "" {
			w.buildConfig(obj)
		}
	case "Build":
		if group == "build.openshift.io" || group == "" {
			w.build(obj)
		}
	}
	w.lastApplied(obj)
}

// secret is oc adm inspect's elideSecret (pkg/cli/admin/inspect/secret.go),
// plus stringData (oc reads Secrets typed, where the API never returns it;
// a Secret inside a Template or a last-applied-configuration may hold it).
func (w *walker) secret(s map[string]any) {
	if data, ok := s["data"].(map[string]any); ok {
		for k, v := range data {
			if publicSecretKeys[k] {
				continue
			}
			str, _ := v.(string)
			value := str
			if b, err := base64.StdEncoding.DecodeString(str); err == nil {
				value = string(b)
			}
			if value != "" {
				w.elide("secret.data", value)
			}
			data[k] = base64.StdEncoding.EncodeToString(bytesLong(len(value)))
		}
	}
	if data, ok := s["stringData"].(map[string]any); ok {
		for k, v := range data {
			if publicSecretKeys[k] {
				continue
			}
			str, _ := v.(string)
			if str != "" {
				w.elide("secret.stringData", str)
			}
			data[k] = string(bytesLong(len(str)))
		}
	}
	ann := annotations(s)
	if v, ok := ann[tokenSecretValue]; ok {
		if str, _ := v.(string); str != "" {
			w.elide("secret.token-secret.value", str)
		}
		ann[tokenSecretValue] = ""
	}
	if v, ok := ann[lastApplied]; ok {
		if str, _ := v.(string); str != "" && w.rec != nil {
			// Blanked, but its values are elided values too: record them.
			w.decodeLastApplied(str)
		}
		ann[lastApplied] = ""
	}
}

// tokenSecretValue holds a service account's token on its token Secret.
const tokenSecretValue = "openshift.io/token-secret.value"

// bytesLong is oc's replacement of a Secret value: "<N> bytes long".
func bytesLong(n int) []byte {
	return append(strconv.AppendInt(make([]byte, 0, 24), int64(n), 10), " bytes long"...)
}

// annotations returns the metadata.annotations map of an object, or nil.
func annotations(obj map[string]any) map[string]any {
	md, _ := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	return ann
}

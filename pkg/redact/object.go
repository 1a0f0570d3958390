// Package redact holds the rules that keep secrets out of a gather's
// result: for objects (the sink applies them to every object and list file
// it writes, so no collector can bypass them).
package redact

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// Object rules:
//
//   - Secret: every data value becomes the base64 encoding of "<N> bytes
//     long" (the object stays a valid Secret readers can decode), stringData
//     values become "<N> bytes long"; the public keys tls.crt, ca.crt and
//     service-ca.crt are kept; the last-applied-configuration annotation
//     is blanked.
//   - Route: spec.tls.key is blanked.
//   - Every string value of every object: credentials in URLs
//     (scheme://user:password@host) are masked. `oc adm inspect` leaks proxy
//     credentials exactly there (list files, last-applied-configuration).

const (
	lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
	// Masked replaces the secret part of a URL's credentials.
	Masked = "REDACTED"
)

// publicSecretKeys are kept in Secrets: certificates, not keys.
var publicSecretKeys = map[string]bool{"tls.crt": true, "ca.crt": true, "service-ca.crt": true}

// urlCredentials matches the userinfo of a URL: scheme://USERINFO@.
var urlCredentials = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s"'\\]+)@`)

// MaskURLCredentials masks the credentials of every URL in s: the password
// of user:password, or the whole userinfo when it has no password (a token).
func MaskURLCredentials(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlCredentials.ReplaceAllStringFunc(s, func(m string) string {
		sub := urlCredentials.FindStringSubmatch(m)
		scheme, userinfo := sub[1], sub[2]
		if user, _, ok := strings.Cut(userinfo, ":"); ok {
			return scheme + user + ":" + Masked + "@"
		}
		return scheme + Masked + "@"
	})
}

// Object returns a redacted deep copy of an object (as decoded from JSON:
// maps, slices, strings, numbers, bools). The input is not changed.
func Object(obj map[string]any) map[string]any {
	out := maskStrings(obj).(map[string]any)
	apiVersion, _ := out["apiVersion"].(string)
	kind, _ := out["kind"].(string)
	switch {
	case kind == "Secret" && apiVersion == "v1":
		redactSecret(out)
	case kind == "Route" && strings.HasPrefix(apiVersion, "route.openshift.io/"):
		if spec, ok := out["spec"].(map[string]any); ok {
			if tls, ok := spec["tls"].(map[string]any); ok {
				if _, ok := tls["key"]; ok {
					tls["key"] = ""
				}
			}
		}
	}
	return out
}

func redactSecret(s map[string]any) {
	if data, ok := s["data"].(map[string]any); ok {
		for k, v := range data {
			if publicSecretKeys[k] {
				continue
			}
			n := 0
			if str, ok := v.(string); ok {
				if b, err := base64.StdEncoding.DecodeString(str); err == nil {
					n = len(b)
				} else {
					n = len(str)
				}
			}
			data[k] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%d bytes long", n)))
		}
	}
	if data, ok := s["stringData"].(map[string]any); ok {
		for k, v := range data {
			if publicSecretKeys[k] {
				continue
			}
			str, _ := v.(string)
			data[k] = fmt.Sprintf("%d bytes long", len(str))
		}
	}
	if md, ok := s["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			if _, ok := ann[lastApplied]; ok {
				ann[lastApplied] = ""
			}
		}
	}
}

// maskStrings deep-copies v, masking URL credentials in every string.
func maskStrings(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = maskStrings(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = maskStrings(x)
		}
		return s
	case string:
		return MaskURLCredentials(t)
	default:
		return v
	}
}

package redact

import "strings"

// kubeconfigSecrets are the fields of a kubeconfig's users that hold a
// credential (k8s.io/client-go/tools/clientcmd/api/v1 types.go, AuthInfo:
// token, client-key-data, password; the auth-provider config of the oidc
// and gcp/azure providers: id-token, refresh-token, access-token,
// client-secret). Paths (tokenFile, client-key) are kept.
var kubeconfigSecrets = [...]string{
	"token", "client-key-data", "password",
	"id-token", "refresh-token", "access-token", "client-secret",
}

// isKubeconfig reports whether a text looks like a kubeconfig document, in
// YAML or JSON: kind Config, or a users list.
func isKubeconfig(s string) bool {
	return strings.Contains(s, "users:") || strings.Contains(s, `"users"`) ||
		strings.Contains(s, "kind: Config") || strings.Contains(s, `"kind":"Config"`) ||
		strings.Contains(s, `"kind": "Config"`)
}

// maskKubeconfig replaces the values of kubeconfigSecrets in a kubeconfig
// text, keeping the text as it is otherwise (a YAML or JSON re-encoding
// would lose its comments and order): `token: V`, `"token": "V"`.
func (w *walker) maskKubeconfig(s string) string {
	for _, key := range kubeconfigSecrets {
		s = w.maskKey(s, key)
	}
	return s
}

// maskKey replaces the value of every `key: V` (YAML, V to the end of the
// line or its closing quote) and `"key": "V"` (JSON) in s.
func (w *walker) maskKey(s, key string) string {
	var b *strings.Builder
	last := 0
	for from := 0; ; {
		k := strings.Index(s[from:], key)
		if k < 0 {
			break
		}
		i := from + k
		j := i + len(key)
		from = j
		// The whole key: not the end of another word (tokenFile is not
		// token; access-token is matched as itself).
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '-' || s[i-1] == '_') {
			continue
		}
		if j < len(s) && s[j] == '"' {
			j++
		}
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j >= len(s) || s[j] != ':' {
			continue
		}
		j++
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		start, end := j, j
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			q := strings.IndexByte(s[j+1:], s[j])
			if q < 0 {
				continue
			}
			start, end = j+1, j+1+q
		} else {
			for end < len(s) && s[end] != '\n' && s[end] != '\r' {
				end++
			}
			for end > start && (s[end-1] == ' ' || s[end-1] == '\t') {
				end--
			}
		}
		value := s[start:end]
		if value == "" || value == Masked || value[0] == '|' || value[0] == '>' || value[0] == '{' || value[0] == '[' {
			continue
		}
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s))
		}
		w.elide("configmap.kubeconfig", value)
		b.WriteString(s[last:start])
		b.WriteString(Masked)
		last = end
		from = end
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

package redact

import "strings"

// Credentials written as literals where names say what they are: container
// env (pods and every pod template, build strategies), build args, template
// parameters and HTTP headers are lists of {name, value} maps; command lines
// carry --password=V. oc adm inspect writes them all as they are; they are
// the commonest way a secret ends up in a workload's spec.

// credentialName reports whether a variable, parameter, header or flag name
// ends in a word that names a credential: DB_PASSWORD, API_KEY, authToken,
// client-secret, AWS_CREDENTIALS; not SECRET_NAME, TOKEN_URL, PASSWORD_FILE,
// KEY_PATH (they name where a credential is, not the credential), nor
// MAX_TOKENS. Words are
// split at anything not a letter or digit and at camelCase boundaries.
func credentialName(name string) bool {
	// A numbered credential is one too: REDIS_PASSWORD_2, password1.
	name = strings.TrimRight(name, "0123456789_-.")
	last, prev := lastWords(name)
	switch {
	case eq(last, "PASSWORD"), eq(last, "PASSWD"), eq(last, "PASSPHRASE"),
		eq(last, "SECRET"), eq(last, "TOKEN"), eq(last, "APIKEY"),
		eq(last, "CREDENTIALS"), eq(last, "CREDENTIAL"), eq(last, "CREDS"),
		eq(last, "AUTHORIZATION"), eq(last, "PRIVATEKEY"), eq(last, "SECRETKEY"),
		eq(last, "ACCESSKEY"):
		return true
	case eq(last, "PWD"), eq(last, "PASS"):
		// Alone, PWD is the shell's working directory; DB_PWD, DB_PASS are not.
		return prev != ""
	case eq(last, "KEY"):
		// A key is a credential when what qualifies it says so; CACHE_KEY,
		// SORT_KEY are not.
		for _, q := range keyQualifiers {
			if eq(prev, q) {
				return true
			}
		}
	case eq(last, "STRING"):
		return eq(prev, "CONNECTION") // Azure's, with AccountKey=... inside
	}
	return false
}

var keyQualifiers = [...]string{
	"API", "PRIVATE", "SECRET", "ACCESS", "ENCRYPTION", "SIGNING", "CLIENT",
	"AUTH", "MASTER", "SSH", "SESSION", "HMAC", "SHARED", "LICENSE", "ACCOUNT",
	"STORAGE", "CRYPT", "DECRYPTION",
}

func eq(a, b string) bool { return strings.EqualFold(a, b) }

// lastWords returns the last two words of a name, without allocating.
func lastWords(s string) (last, prev string) {
	end := len(s)
	for i := 0; i < 2; i++ {
		for end > 0 && !isAlnum(s[end-1]) {
			end--
		}
		if end == 0 {
			break
		}
		start := end - 1
		for start > 0 && isAlnum(s[start-1]) && !camelBoundary(s, start, end) {
			start--
		}
		if i == 0 {
			last = s[start:end]
		} else {
			prev = s[start:end]
		}
		end = start
	}
	return last, prev
}

// camelBoundary reports whether a word starts at s[i] inside s[:end]: dbPassword
// (lower then upper), APIKey (upper then Upper-lower).
func camelBoundary(s string, i, end int) bool {
	c, p := s[i], s[i-1]
	if !isUpper(c) {
		return false
	}
	if isLower(p) || isDigit(p) {
		return true
	}
	return isUpper(p) && i+1 < end && isLower(s[i+1])
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isUpper(c) || isLower(c) || isDigit(c) }

// credentialNameValue replaces the value of a {name, value} map (an env var,
// a build arg, a template parameter, an HTTP header) named like a credential;
// the name stays, so the reader still knows what was set.
func (w *walker) credentialNameValue(m map[string]any) {
	name, ok := m["name"].(string)
	if !ok {
		return
	}
	if v, ok := m["value"].(string); ok && v != "" && v != Masked && credentialName(name) {
		w.elide("env.value", v)
		m["value"] = Masked
	}
}

// credentialArgs replaces, in a command line (args or command, one item per
// argument), the values of credential flags: --password=V, -token=V, and
// --password V (the value in the next item); inside an item that is a
// shell script (sh -c "... --token=V ..."), both forms too.
func (w *walker) credentialArgs(l []any) {
	for i, v := range l {
		s, ok := v.(string)
		if !ok || strings.IndexByte(s, '-') < 0 {
			continue
		}
		if name, ok := flagName(s); ok && len(name)+dashes(s) == len(s) && credentialName(name) {
			// --password VALUE: the value is the next item.
			if i+1 < len(l) {
				if next, ok := l[i+1].(string); ok && next != "" && next != Masked && next[0] != '-' {
					w.elide("args.value", next)
					l[i+1] = Masked
				}
			}
			continue
		}
		l[i] = w.maskFlags(s)
	}
}

// dashes counts the leading dashes of s (at most 2).
func dashes(s string) int {
	n := 0
	for n < len(s) && n < 2 && s[n] == '-' {
		n++
	}
	return n
}

// flagName returns the name of the flag s starts with (-name or --name),
// which runs to the first byte that is not a letter, digit, '-', '_' or '.'.
func flagName(s string) (string, bool) {
	d := dashes(s)
	if d == 0 {
		return "", false
	}
	end := d
	for end < len(s) && (isAlnum(s[end]) || s[end] == '-' || s[end] == '_' || s[end] == '.') {
		end++
	}
	if end == d {
		return "", false
	}
	return s[d:end], true
}

// maskFlags replaces the values of credential flags in a string: every
// -name=V or --name=V, or --name V, starting the string or a word of it
// (after a space, tab, newline or quote). V runs to the next blank, or to
// its closing quote when quoted.
func (w *walker) maskFlags(s string) string {
	var b *strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '-' || (i > 0 && !wordStart(s[i-1])) {
			continue
		}
		name, ok := flagName(s[i:])
		if !ok {
			continue
		}
		j := i + dashes(s[i:]) + len(name)
		if j >= len(s) || (s[j] != '=' && s[j] != ' ') || !credentialName(name) {
			i = j - 1
			continue
		}
		start := j + 1
		if s[j] == ' ' && (start >= len(s) || s[start] == '-') {
			i = j - 1
			continue // a flag without a value (a boolean, or the end)
		}
		var enclosing byte
		if i > 0 && (s[i-1] == '"' || s[i-1] == '\'') {
			enclosing = s[i-1] // '--password=a b': the value is "a b"
		}
		end := flagValueEnd(s, start, enclosing)
		value := s[start:end]
		if q := len(value); q >= 2 && (value[0] == '"' || value[0] == '\'') && value[q-1] == value[0] {
			start, end = start+1, end-1
			value = s[start:end]
		}
		if value == "" || value == Masked {
			i = end - 1
			continue
		}
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s))
		}
		w.elide("args.value", value)
		b.WriteString(s[last:start])
		b.WriteString(Masked)
		last = end
		i = end - 1
	}
	if b == nil {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func wordStart(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == ';' || c == '('
}

// flagValueEnd returns where a flag's value starting at s[start] ends: its
// closing quote (included) when quoted; the closing quote of the flag when
// the flag is quoted (enclosing); else the next blank or ';'.
func flagValueEnd(s string, start int, enclosing byte) int {
	if start < len(s) && (s[start] == '"' || s[start] == '\'') {
		if k := strings.IndexByte(s[start+1:], s[start]); k >= 0 {
			return start + 1 + k + 1
		}
		return len(s)
	}
	if enclosing != 0 {
		if k := strings.IndexByte(s[start:], enclosing); k >= 0 {
			return start + k
		}
	}
	end := start
	for end < len(s) && s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != ';' && s[end] != '"' && s[end] != '\'' {
		end++
	}
	return end
}

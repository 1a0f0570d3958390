package redact

import (
	"bytes"
	"slices"
)

// Line rules, for every log and plain file the sink writes (pod logs, host
// service logs, audit logs around their objects, the run log):
//
//   - credentials in URLs, as MaskURLCredentials masks them;
//   - the credentials of an Authorization header (Proxy-Authorization too)
//     with the Bearer or Basic scheme, in any case and the forms logs
//     carry it: `Authorization: Bearer T`, `"Authorization":["Basic T"]`,
//     `-H 'authorization: bearer T'`, `Authorization:[Bearer T]`;
//   - the value of a KEY=VALUE or KEY: VALUE pair (quoted or not, JSON and
//     escaped JSON too) whose key ends in password, passwd, pwd, secret,
//     token, api_key, access_key, secret_key or private_key (any case; the
//     _ may be - . or nothing: apiKey, X-Api-Key, AWS_SECRET_ACCESS_KEY,
//     client_secret, --db-password): the key stays, the value becomes
//     REDACTED. A key that only contains one of those words keeps its value:
//     password_file=/etc/x and TOKEN_URL=https://... name where a secret
//     is, not the secret; so do values that cannot be secrets (true, false,
//     null, nil, none, empty) and PWD=/path (the shell's working directory).
//     A `:` separator needs a space after it unless the key is quoted (so
//     host:port and ns:name stay), and an unquoted key before `: ` must
//     start a field (the line, after a quote, bracket, comma or list dash:
//     YAML, headers), so prose stays: "failed to fetch token: forbidden";
//   - JSON web tokens (eyJ...eyJ...) and OpenShift OAuth tokens (sha256~...)
//     anywhere, and a Bearer token of 16 characters or more without its
//     header;
//   - PEM private keys (-----BEGIN ... PRIVATE KEY----- to -----END ...
//     PRIVATE KEY-----): on one line (JSON with \n escapes) the part between
//     the markers, or after BEGIN to the end of the string; over several
//     lines every line of the key becomes one REDACTED line, which needs the
//     state a LineWriter keeps between lines (Line alone does not).
//
// A line with nothing to redact is left as it is, byte for byte.

// Line returns line with the line rules applied (a PEM key spread over
// several lines needs a LineWriter).
func Line(line string) string {
	out := appendLine(nil, []byte(line))
	return string(out)
}

// edit replaces line[start:end] with repl; what the rule matched (a key,
// a header name) starts at from, so a long line is not cut there.
type edit struct {
	start, end int
	repl       string
	from       int
}

// trigger bits: which rules a line may need, found in one pass.
const (
	trigURL = 1 << iota
	trigAuth
	trigPair
	trigJWT
	trigSHA
	trigBearer
	trigPEM
)

// pairWords end the keys whose values are secret, by their first letter;
// '_' stands for '_', '-', '.' or nothing. Longer words first.
var pairWords = [...][]string{
	'a': {"access_key", "api_key"},
	'p': {"password", "passwd", "private_key", "pwd"},
	's': {"secret_key", "secret"},
	't': {"token"},
}

// appendLine appends line, redacted, to dst.
func appendLine(dst, line []byte) []byte {
	edits := lineEdits(line, nil)
	return applyEdits(dst, line, edits)
}

func applyEdits(dst, line []byte, edits []edit) []byte {
	if len(edits) == 0 {
		return append(dst, line...)
	}
	at := 0
	for _, e := range edits {
		dst = append(dst, line[at:e.start]...)
		dst = append(dst, e.repl...)
		at = e.end
	}
	return append(dst, line[at:]...)
}

// lineEdits finds what the line rules change in line: sorted, not
// overlapping (of two that overlap the first one wins).
func lineEdits(line []byte, edits []edit) []edit {
	edits = edits[:0]
	trig := triggers(line)
	if trig == 0 {
		return edits
	}
	if trig&trigPEM != 0 {
		edits = pemEdits(line, edits)
	}
	if trig&trigURL != 0 {
		edits = urlEdits(line, edits)
	}
	if trig&trigAuth != 0 {
		edits = authEdits(line, edits)
	}
	if trig&trigPair != 0 {
		edits = pairEdits(line, edits)
	}
	if trig&(trigJWT|trigSHA|trigBearer) != 0 {
		edits = tokenEdits(line, trig, edits)
	}
	if len(edits) < 2 {
		return edits
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	out := edits[:1]
	for _, e := range edits[1:] {
		if e.start >= out[len(out)-1].end {
			out = append(out, e)
		}
	}
	return out
}

// triggers finds, in one pass, the words that rules start from.
func triggers(line []byte) int {
	t := 0
	for i := 0; i < len(line); i++ {
		switch line[i] | 0x20 {
		case ':' | 0x20: // ':' is 0x3a, | 0x20 keeps it
			if i+2 < len(line) && line[i+1] == '/' && line[i+2] == '/' {
				t |= trigURL
			}
		case 'a':
			if hasFold(line[i:], "authorization") {
				t |= trigAuth
			} else if hasFold(line[i:], "api") || hasFold(line[i:], "access") {
				t |= trigPair
			}
		case 'p':
			if hasFold(line[i:], "pass") || hasFold(line[i:], "pwd") || hasFold(line[i:], "private") {
				t |= trigPair
			}
		case 's':
			if hasFold(line[i:], "secret") {
				t |= trigPair
			} else if bytes.HasPrefix(line[i:], []byte("sha256~")) {
				t |= trigSHA
			}
		case 't':
			if hasFold(line[i:], "token") {
				t |= trigPair
			}
		case 'b':
			if hasFold(line[i:], "bearer") {
				t |= trigBearer
			}
		case 'e':
			if bytes.HasPrefix(line[i:], []byte("eyJ")) {
				t |= trigJWT
			}
		case '-' | 0x20:
			if bytes.HasPrefix(line[i:], []byte("-----BEGIN ")) {
				t |= trigPEM
			}
		}
	}
	return t
}

// hasFold reports whether b starts with the lower-case ASCII word w, in
// any case.
func hasFold(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// matchWord matches the pair word w at b's start ('_' in w: '_', '-', '.'
// or nothing) and returns its length, or -1.
func matchWord(b []byte, w string) int {
	j := 0
	for i := 0; i < len(w); i++ {
		if w[i] == '_' {
			if j < len(b) && (b[j] == '_' || b[j] == '-' || b[j] == '.') {
				j++
			}
			continue
		}
		if j >= len(b) || b[j]|0x20 != w[i] {
			return -1
		}
		j++
	}
	return j
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// quoteAt returns the quote at b[i:] (`"`, `'` or an escaped `\"`) or "".
func quoteAt(b []byte, i int) string {
	switch {
	case i < len(b) && (b[i] == '"' || b[i] == '\''):
		return string(b[i])
	case i+1 < len(b) && b[i] == '\\' && b[i+1] == '"':
		return `\"`
	}
	return ""
}

// lineEnd is where the content of line ends (before "\r\n" or "\n").
func lineEnd(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return n
}

// valueEnd returns the end of a value starting at i, quoted by q (the
// quote is at i-len(q)) or unquoted (q == ""): the closing quote (not
// included), or the line's end when it has none.
func valueEnd(line []byte, i int, q string) int {
	end := lineEnd(line)
	switch q {
	case `"`:
		for j := i; j < end; j++ {
			if line[j] == '\\' {
				j++
				continue
			}
			if line[j] == '"' {
				return j
			}
		}
		return end
	case `'`:
		if k := bytes.IndexByte(line[i:end], '\''); k >= 0 {
			return i + k
		}
		return end
	case `\"`:
		if k := bytes.Index(line[i:end], []byte(`\"`)); k >= 0 {
			return i + k
		}
		return end
	}
	j := i
	for j < end {
		switch line[j] {
		case ' ', '\t', ',', ';', '&', '"', '\'', '\\', '<', '>', ')', ']', '}':
			return j
		}
		j++
	}
	return j
}

// notSecret are values a secret's key may have that are no secret.
func notSecret(v []byte) bool {
	if len(v) == 0 || string(v) == Masked {
		return true
	}
	for _, w := range []string{"true", "false", "null", "nil", "none"} {
		if len(v) == len(w) && hasFold(v, w) {
			return true
		}
	}
	return false
}

// pairEdits masks the values of KEY=VALUE and KEY: VALUE pairs whose key
// ends in a pair word.
func pairEdits(line []byte, edits []edit) []edit {
	for i := 0; i < len(line); i++ {
		c := line[i] | 0x20
		if int(c) >= len(pairWords) || pairWords[c] == nil {
			continue
		}
		n := -1
		for _, w := range pairWords[c] {
			if n = matchWord(line[i:], w); n > 0 {
				break
			}
		}
		if n <= 0 {
			continue
		}
		keyEnd := i + n
		if keyEnd < len(line) && isKeyChar(line[keyEnd]) {
			continue // the word does not end the key: password_file, TOKEN_URL
		}
		keyStart := i
		for keyStart > 0 && isKeyChar(line[keyStart-1]) {
			keyStart--
		}
		j := keyEnd
		quotedKey := quoteAt(line, j)
		j += len(quotedKey)
		for j < len(line) && isSpace(line[j]) {
			j++
		}
		if j >= len(line) || line[j] != '=' && line[j] != ':' {
			continue
		}
		sep := line[j]
		j++
		if sep == '=' && j < len(line) && line[j] == '=' {
			continue // a comparison: token == x
		}
		spaced := j < len(line) && isSpace(line[j])
		for j < len(line) && isSpace(line[j]) {
			j++
		}
		q := quoteAt(line, j)
		if sep == ':' && !spaced && (quotedKey == "" || q == "") {
			continue // host:port, ns:name
		}
		if sep == ':' && quotedKey == "" && !startsField(line, keyStart) {
			continue // prose: "failed to fetch token: serviceaccounts ..."
		}
		vs := j + len(q)
		ve := valueEnd(line, vs, q)
		v := line[vs:ve]
		if notSecret(v) || string(line[keyStart:keyEnd]) == "PWD" && v[0] == '/' {
			i = ve
			continue
		}
		edits = append(edits, edit{vs, ve, Masked, keyStart})
		i = ve
	}
	return edits
}

// startsField reports whether an unquoted key at i starts a field, not a
// sentence's word: nothing but spaces before it on the line, or a quote,
// bracket, brace, comma, list dash or escaped newline (YAML, also inside
// a JSON string; a header in -H '...').
func startsField(line []byte, i int) bool {
	for i > 0 && isSpace(line[i-1]) {
		i--
	}
	if i == 0 {
		return true
	}
	switch line[i-1] {
	case '\'', '"', '{', '[', '(', ',', '-':
		return true
	case '\\': // \n (the key took the n): a line of a JSON string
		return true
	}
	return false
}

// authEdits masks the credentials of Authorization headers with the
// Bearer or Basic scheme.
func authEdits(line []byte, edits []edit) []edit {
	const word = "authorization"
	for i := 0; i+len(word) <= len(line); i++ {
		if !hasFold(line[i:], word) {
			continue
		}
		j := i + len(word)
		j += len(quoteAt(line, j))
		for j < len(line) && isSpace(line[j]) {
			j++
		}
		if j >= len(line) || line[j] != ':' && line[j] != '=' {
			continue
		}
		j++
		for j < len(line) && (isSpace(line[j]) || line[j] == '[') {
			j++
		}
		j += len(quoteAt(line, j))
		var scheme int
		switch {
		case hasFold(line[j:], "bearer"):
			scheme = len("bearer")
		case hasFold(line[j:], "basic"):
			scheme = len("basic")
		default:
			continue
		}
		j += scheme
		if j >= len(line) || !isSpace(line[j]) {
			continue
		}
		for j < len(line) && isSpace(line[j]) {
			j++
		}
		end := credEnd(line, j)
		if end > j && string(line[j:end]) != Masked {
			edits = append(edits, edit{j, end, Masked, i})
		}
		i = end - 1
	}
	return edits
}

// credEnd is the end of a credential (token68 and friends) starting at i.
func credEnd(line []byte, i int) int {
	j := i
	for j < len(line) && isTokenChar(line[j]) {
		j++
	}
	return j
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// tokenEdits masks JSON web tokens, OpenShift OAuth tokens and long Bearer
// tokens wherever they are.
func tokenEdits(line []byte, trig int, edits []edit) []edit {
	for i := 0; i < len(line); i++ {
		switch {
		case trig&trigJWT != 0 && line[i] == 'e' && bytes.HasPrefix(line[i:], []byte("eyJ")) && (i == 0 || !isB64URL(line[i-1])):
			if end := jwtEnd(line, i); end > 0 {
				edits = append(edits, edit{i, end, Masked, i})
				i = end - 1
			}
		case trig&trigSHA != 0 && line[i] == 's' && bytes.HasPrefix(line[i:], []byte("sha256~")):
			j := i + len("sha256~")
			end := j
			for end < len(line) && isB64URL(line[end]) {
				end++
			}
			if end-j >= 20 {
				edits = append(edits, edit{j, end, Masked, i})
			}
			i = end - 1
		case trig&trigBearer != 0 && line[i]|0x20 == 'b' && hasFold(line[i:], "bearer") && (i == 0 || !isKeyChar(line[i-1])):
			j := i + len("bearer")
			if j >= len(line) || !isSpace(line[j]) {
				continue
			}
			for j < len(line) && isSpace(line[j]) {
				j++
			}
			end := credEnd(line, j)
			if tok := line[j:end]; len(tok) >= 16 && string(tok) != Masked && bytes.ContainsAny(tok, "0123456789") {
				edits = append(edits, edit{j, end, Masked, i})
			}
			i = end - 1
		}
	}
	return edits
}

// jwtEnd returns the end of a JSON web token at i (header.payload.sig,
// the signature possibly empty), or -1.
func jwtEnd(line []byte, i int) int {
	j := i
	for part := 0; part < 3; part++ {
		s := j
		for j < len(line) && isB64URL(line[j]) {
			j++
		}
		if part < 2 {
			if j-s < 10 || j >= len(line) || line[j] != '.' {
				return -1
			}
			if part == 1 && !bytes.HasPrefix(line[s:], []byte("eyJ")) {
				return -1
			}
			j++
		}
	}
	return j
}

var (
	pemBegin = []byte("-----BEGIN ")
	pemEnd   = []byte("-----END ")
	pemDash  = []byte("-----")
)

// privateKeyMarker reports whether b starts a PEM marker of a private key
// (after "-----BEGIN " or "-----END ") and returns the marker's length
// from there, up to and including its closing dashes.
func privateKeyMarker(b []byte) int {
	k := bytes.Index(b, pemDash)
	if k < 0 || k > 64 {
		return -1
	}
	label := b[:k]
	if !bytes.HasSuffix(label, []byte("PRIVATE KEY")) && !bytes.HasSuffix(label, []byte("PRIVATE KEY BLOCK")) {
		return -1
	}
	return k + len(pemDash)
}

// pemBeginAt returns the end of a private key's BEGIN marker at i, or -1.
func pemBeginAt(line []byte, i int) int {
	if !bytes.HasPrefix(line[i:], pemBegin) {
		return -1
	}
	n := privateKeyMarker(line[i+len(pemBegin):])
	if n < 0 {
		return -1
	}
	return i + len(pemBegin) + n
}

// pemEndIn returns where the first END marker of a private key in b
// starts, or -1.
func pemEndIn(b []byte) int {
	at := 0
	for {
		k := bytes.Index(b[at:], pemEnd)
		if k < 0 {
			return -1
		}
		if privateKeyMarker(b[at+k+len(pemEnd):]) >= 0 {
			return at + k
		}
		at += k + len(pemEnd)
	}
}

// pemEdits masks private keys within a line: between the markers, or after
// BEGIN to the end of the string (the next unescaped quote) or line. A
// BEGIN marker that ends the line starts a key over several lines: that is
// the LineWriter's to mask.
func pemEdits(line []byte, edits []edit) []edit {
	end := lineEnd(line)
	for i := 0; i < end; i++ {
		if line[i] != '-' {
			continue
		}
		b := pemBeginAt(line, i)
		if b < 0 {
			continue
		}
		rest := bytes.TrimRight(line[b:end], " \t")
		if len(rest) == 0 {
			return edits
		}
		if k := pemEndIn(line[b:end]); k >= 0 {
			edits = append(edits, edit{b, b + k, Masked, i})
			i = b + k
			continue
		}
		e := valueEnd(line, b, `"`)
		edits = append(edits, edit{b, e, Masked, i})
		i = e
	}
	return edits
}

// endsWithPEMBegin reports whether a line ends with a private key's BEGIN
// marker: the key follows on the next lines.
func endsWithPEMBegin(line []byte) bool {
	content := bytes.TrimRight(line[:lineEnd(line)], " \t")
	if !bytes.HasSuffix(content, pemDash) {
		return false
	}
	from := max(0, len(content)-len(pemBegin)-64-len(pemDash))
	k := bytes.LastIndex(content[from:], pemBegin)
	if k < 0 {
		return false
	}
	k += from
	return pemBeginAt(content, k) == len(content)
}

// urlEdits masks credentials in URLs with MaskURLCredentials.
func urlEdits(line []byte, edits []edit) []edit {
	at := 0
	for {
		k := bytes.Index(line[at:], []byte("://"))
		if k < 0 {
			return edits
		}
		sep := at + k
		start := sep
		for start > 0 && isSchemeChar(line[start-1]) {
			start--
		}
		j := sep + 3
		for j < len(line) && !isUserinfoStop(line[j]) {
			j++
		}
		at = sep + 3
		if start == sep || j >= len(line) || line[j] != '@' {
			continue
		}
		orig := string(line[start : j+1])
		if masked := MaskURLCredentials(orig); masked != orig {
			edits = append(edits, edit{start, j + 1, masked, start})
		}
		at = j + 1
	}
}

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

func isUserinfoStop(c byte) bool {
	switch c {
	case '/', '?', '#', '@', ' ', '\t', '\n', '\r', '\f', '\v', '"', '\'', '\\':
		return true
	}
	return false
}

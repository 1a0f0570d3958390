package clean

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
)

// Kind is a kind of value the cleaning replaces.
type Kind int

// The kinds, in the order the report lists them.
const (
	IPv4 Kind = iota
	IPv6
	MAC
	Domain // a domain or a host under one
	Name   // a bare name (a node's)
	numKinds
)

var kindNames = [numKinds]string{"ipv4", "ipv6", "mac", "domain", "name"}

func (k Kind) String() string { return kindNames[k] }

// counts are the replacements of one file, by kind.
type counts [numKinds]int

// kept IPv4 ranges: they name no one (documentation, link-local, the
// pseudonyms themselves).
var keptIPv4 = []netip.Prefix{
	pseudoIPv4,
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// publicResolvers are the well-known public DNS servers (Google, Cloudflare,
// Quad9): every network's configuration may name them.
var publicResolvers = map[[4]byte]bool{
	{8, 8, 8, 8}: true, {8, 8, 4, 4}: true, {1, 1, 1, 1}: true, {1, 0, 0, 1}: true, {9, 9, 9, 9}: true, {149, 112, 112, 112}: true,
}

// keepIPv4 says whether a is left as it is: unspecified, loopback,
// link-local (169.254.169.254 is every cloud's metadata service),
// multicast, broadcast, netmasks (255.x.x.x with contiguous ones), the
// public resolvers, the documentation ranges and the pseudonym range.
func keepIPv4(a netip.Addr) bool {
	if a.IsUnspecified() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() {
		return true
	}
	b := a.As4()
	if b[0] == 255 {
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if v|(v-1) == 0xffffffff || v == 0xffffffff { // ones then zeros
			return true
		}
	}
	if publicResolvers[b] {
		return true
	}
	for _, p := range keptIPv4 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// keepIPv6 says whether a is left as it is: unspecified, loopback,
// multicast, and the documentation range the pseudonyms are in.
// Link-local addresses are replaced: they are often made from a MAC.
func keepIPv6(a netip.Addr) bool {
	return a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || pseudoIPv6.Contains(a) ||
		(a.Is4In6() && keepIPv4(a.Unmap()))
}

// keepMAC says whether the MAC s (lower case) is left as it is: all zeros,
// broadcast, and the pseudonyms.
func keepMAC(s string) bool {
	return s == "00:00:00:00:00:00" || s == "ff:ff:ff:ff:ff:ff" || strings.HasPrefix(s, pseudoMACPrefix)
}

// runChar says whether c can be part of a token the detectors look at:
// letters, digits, '.', ':' and '-'. Everything else ends a token, so a
// value is only found whole (not inside a longer word or number).
func runChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == ':' || c == '-'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// matcher finds the values to replace in text and replaces them through
// the mapping. Its domains and names are fixed when it is made; the
// mapping grows as values are met.
type matcher struct {
	m        *Mapping
	domains  map[string]bool
	tlds     map[string]bool // the last label of each domain
	names    map[string]bool
	maxWords int             // the most '-'/'.'-separated words in a name
	first    map[string]bool // the first word of each name
	// maxLabels is the most labels in a domain.
	maxLabels int
	// Cheap filters before a map lookup: the first bytes of names and
	// the last bytes of domains.
	nameStart, domainEnd [256]bool
}

func newMatcher(m *Mapping) *matcher {
	mt := &matcher{m: m, domains: map[string]bool{}, tlds: map[string]bool{}, names: map[string]bool{}, first: map[string]bool{}}
	for _, d := range m.domains() {
		mt.domains[d] = true
		mt.tlds[d[strings.LastIndexByte(d, '.')+1:]] = true
		mt.domainEnd[d[len(d)-1]] = true
		mt.maxLabels = max(mt.maxLabels, strings.Count(d, ".")+1)
	}
	for _, n := range m.names() {
		mt.names[n] = true
		mt.nameStart[n[0]] = true
		mt.first[n[:strings.IndexAny(n+".", ".-")]] = true
		mt.maxWords = max(mt.maxWords, len(strings.FieldsFunc(n, func(r rune) bool { return r == '-' || r == '.' })))
	}
	return mt
}

// span is one replacement: src[start:end] becomes text.
type span struct {
	start, end int
	text       string
	kind       Kind
}

// scanner cleans text with a matcher; one per goroutine (it keeps scratch
// space).
type scanner struct {
	mt    *matcher
	spans []span
	lower []byte
	found bool // the last run held a value (replaced or kept)
	// ipCache maps the IPv4 texts met to their pseudonyms ("": kept,
	// "-": not an address).
	ipCache map[string]string
	// domainCache maps the names under a domain met (lower case) to
	// their replacements, nameCache the bare names.
	domainCache, nameCache map[string]string
}

func newScanner(mt *matcher) *scanner {
	return &scanner{mt: mt, ipCache: map[string]string{}, domainCache: map[string]string{}, nameCache: map[string]string{}}
}

// clean appends src, cleaned, to dst and adds what it replaced to c.
func (s *scanner) clean(dst, src []byte, c *counts) []byte {
	last := 0
	for i := 0; i < len(src); {
		if !runChar(src[i]) {
			i++
			continue
		}
		start := i
		for i < len(src) && runChar(src[i]) {
			i++
		}
		s.spans, s.found = s.spans[:0], false
		s.run(src, start, i)
		if !s.found && start > 0 && src[start-1] == '%' && i-start > 2 && isHex(src[start]) && isHex(src[start+1]) {
			// Nothing in the token, but it may follow a URL's %XX
			// escape: nodeName%3Dworker-7.
			s.run(src, start+2, i)
		}
		if len(s.spans) == 0 {
			continue
		}
		slices.SortFunc(s.spans, func(a, b span) int { return a.start - b.start })
		for _, sp := range s.spans {
			if sp.start < last || sp.text == "" {
				continue // overlaps one already made, or a range used up
			}
			dst = append(dst, src[last:sp.start]...)
			dst = append(dst, sp.text...)
			last = sp.end
			c[sp.kind]++
		}
	}
	return append(dst, src[last:]...)
}

// run finds the values in the token src[start:end].
func (s *scanner) run(src []byte, start, end int) {
	r := src[start:end]
	if bytes.Count(r, []byte{':'}) >= 2 {
		t := bytes.TrimRight(r, ".")
		if len(t) > 2 && t[len(t)-1] == ':' && t[len(t)-2] != ':' {
			t = t[:len(t)-1]
		}
		if isMAC(t) {
			mac := strings.ToLower(string(t))
			s.found = true
			if !keepMAC(mac) {
				s.spans = append(s.spans, span{start, start + len(t), s.mt.m.mac(mac), MAC})
			}
			return
		}
		if a, ok := parseIPv6(t); ok {
			s.found = true
			if !keepIPv6(a) {
				s.spans = append(s.spans, span{start, start + len(t), s.mt.m.ipv6(a), IPv6})
			}
			return
		}
		// A word and a colon before the address (addr:fd00::1,
		// worker-7:fd00::1): the word is a part of its own.
		if i := bytes.IndexByte(t, ':'); i > 0 && bytes.IndexFunc(t[:i], func(r rune) bool { return !isHex(byte(r)) }) >= 0 {
			if a, ok := parseIPv6(t[i+1:]); ok {
				s.found = true
				s.part(src, start, start+i)
				if !keepIPv6(a) {
					s.spans = append(s.spans, span{start + i + 1, start + len(t), s.mt.m.ipv6(a), IPv6})
				}
				return
			}
		}
	}
	for p := start; p < end; {
		q := p + bytes.IndexByte(src[p:end], ':')
		if q < p {
			q = end
		}
		s.part(src, p, q)
		p = q + 1
	}
}

// isMAC says whether t is six hex pairs separated by ':'.
func isMAC(t []byte) bool {
	if len(t) != 17 {
		return false
	}
	for i, c := range t {
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// parseIPv6 parses t as an IPv6 address: hex digits, ':' and '.' only, with
// a decimal digit (so that words like "be::ef" stay words).
func parseIPv6(t []byte) (netip.Addr, bool) {
	digit := false
	for _, c := range t {
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case isHex(c), c == ':', c == '.':
		default:
			return netip.Addr{}, false
		}
	}
	if !digit {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(t))
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

// part finds the values in src[p:q], a piece of a token without ':':
// IPv4 addresses between '-', then domains and names.
func (s *scanner) part(src []byte, p, q int) {
	if p >= q {
		return
	}
	seg := src[p:q]
	letters, dots := false, 0
	for _, c := range seg {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letters = true
		case c == '.':
			dots++
		}
	}
	if dots >= 3 {
		for i := p; i < q; {
			j := i + bytes.IndexByte(src[i:q], '-')
			if j < i {
				j = q
			}
			s.ipv4(src, i, j)
			i = j + 1
		}
	}
	if letters {
		s.dashedIPv4(src, p, q)
	}
	if !letters || (len(s.mt.domains) == 0 && len(s.mt.names) == 0) {
		return
	}
	end := len(seg)
	for end > 0 && (seg[end-1] == '.' || seg[end-1] == '-') {
		end--
	}
	s.lower = append(s.lower[:0], seg[:end]...)
	for i, c := range s.lower {
		if 'A' <= c && c <= 'Z' {
			s.lower[i] = c + 'a' - 'A'
		}
	}
	if s.domain(p) {
		return
	}
	s.names(p)
}

// ipv4 replaces src[i:j] when it is an IPv4 address (a trailing '.' ends a
// sentence).
func (s *scanner) ipv4(src []byte, i, j int) {
	t := src[i:j]
	for len(t) > 0 && t[len(t)-1] == '.' {
		t = t[:len(t)-1]
	}
	if len(t) < 7 || len(t) > 15 || t[0] < '0' || t[0] > '9' {
		return
	}
	dots := 0
	for _, c := range t {
		if c == '.' {
			dots++
		} else if c < '0' || c > '9' {
			return
		}
	}
	if dots != 3 {
		return
	}
	// The worker's own cache first: most addresses come again and again.
	pseudo, ok := s.ipCache[string(t)]
	if !ok {
		a, err := netip.ParseAddr(string(t))
		if err != nil {
			s.ipCache[string(t)] = "-"
			return
		}
		pseudo = ""
		if !keepIPv4(a) {
			pseudo = s.mt.m.ipv4(a)
		}
		s.ipCache[string(t)] = pseudo
	}
	if pseudo == "-" {
		return
	}
	s.found = true
	if pseudo != "" {
		s.spans = append(s.spans, span{i, i + len(t), pseudo, IPv4})
	}
}

// domain replaces s.lower (at p in src) when it is a domain or a name under
// one: the longest domain it ends with becomes its pseudonym, and what is
// left of it one host pseudonym (api.apps.c.example.com ->
// host-1.domain-1.example.invalid).
func (s *scanner) domain(p int) bool {
	l := s.lower
	if len(l) == 0 || !s.mt.domainEnd[l[len(l)-1]] || !s.mt.tlds[string(l[bytes.LastIndexByte(l, '.')+1:])] {
		return false
	}
	if text, ok := s.domainCache[string(l)]; ok {
		s.found = true
		s.spans = append(s.spans, span{p, p + len(l), text, Domain})
		return true
	}
	// The suffixes of up to maxLabels labels, from the right; the longest
	// domain wins. (Bounded: a hostile line of a million dots costs a
	// few lookups, not a million.)
	at := -1
	for i, labels := len(l), 0; i > 0 && labels < s.mt.maxLabels; labels++ {
		i = bytes.LastIndexByte(l[:i-1], '.') + 1 // the start of the label left of i
		if s.mt.domains[string(l[i:])] {
			at = i
		}
		if i == 0 {
			break
		}
	}
	if at < 0 {
		return false
	}
	s.found = true
	d := s.mt.m.domain(string(l[at:]))
	text := d
	if at > 0 {
		text = s.mt.m.host(string(l[:at-1])) + "." + d
	}
	s.domainCache[string(l)] = text
	s.spans = append(s.spans, span{p, p + len(l), text, Domain})
	return true
}

// names replaces the bare names in s.lower (at p in src), each a run of
// whole words ('-' and '.' separate them): etcd-node1 -> etcd-host-1.
func (s *scanner) names(p int) {
	l := s.lower
	if len(s.mt.names) == 0 {
		return
	}
	for i := 0; i < len(l); {
		if !s.mt.nameStart[l[i]] || (i > 0 && l[i-1] != '-' && l[i-1] != '.') {
			i++
			continue
		}
		// The ends of the next maxWords words, when the first is the
		// first of a name.
		var ends [8]int
		n, j := 0, i
		for n < len(ends) && n < s.mt.maxWords && j < len(l) {
			for j < len(l) && l[j] != '-' && l[j] != '.' {
				j++
			}
			ends[n] = j
			n++
			if n == 1 && !s.mt.first[string(l[i:j])] {
				break
			}
			j++
		}
		if !s.mt.first[string(l[i:ends[0]])] {
			i = ends[0]
			continue
		}
		matched := false
		for k := n - 1; k >= 0; k-- {
			if s.mt.names[string(l[i:ends[k]])] {
				s.found = true
				text, ok := s.nameCache[string(l[i:ends[k]])]
				if !ok {
					text = s.mt.m.host(string(l[i:ends[k]]))
					s.nameCache[string(l[i:ends[k]])] = text
				}
				s.spans = append(s.spans, span{p + i, p + ends[k], text, Name})
				i = ends[k]
				matched = true
				break
			}
		}
		if !matched {
			i = ends[0]
		}
	}
}

// dashedIPv4 replaces the address of an EC2-style host name, ip-A-B-C-D,
// in src[p:q] by the pseudonym of A.B.C.D in the same form
// (ip-198-18-0-5): such names are everywhere on AWS. A node name or a name
// under a domain is replaced whole instead (its span starts first).
func (s *scanner) dashedIPv4(src []byte, p, q int) {
	seg := src[p:q]
	for i := 0; i+3 < len(seg); i++ {
		if seg[i]|0x20 != 'i' || seg[i+1]|0x20 != 'p' || seg[i+2] != '-' || (i > 0 && isAlnum(seg[i-1])) {
			continue
		}
		start, j, octets := i+3, i+3, 0
		for octets < 4 {
			k := j
			for k < len(seg) && k-j < 4 && '0' <= seg[k] && seg[k] <= '9' {
				k++
			}
			if k == j {
				break
			}
			octets++
			j = k
			if octets < 4 {
				if j >= len(seg) || seg[j] != '-' {
					break
				}
				j++
			}
		}
		if octets != 4 || (j < len(seg) && isAlnum(seg[j])) {
			continue
		}
		a, err := netip.ParseAddr(strings.ReplaceAll(string(seg[start:j]), "-", "."))
		if err != nil {
			continue
		}
		s.found = true
		if !keepIPv4(a) {
			s.spans = append(s.spans, span{p + start, p + j, strings.ReplaceAll(s.mt.m.ipv4(a), ".", "-"), IPv4})
		}
		i = j
	}
}

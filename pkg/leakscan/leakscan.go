// Package leakscan is the last line of defence of a gather run: the
// redaction rules report every Secret value they elide, and before the run
// ends every file of the result (gzip files and files written by executable
// steps included) is scanned for those values, raw and base64. A value
// found is redacted in place and reported (file and rule, never the value).
//
// The scanner never keeps a value: for each it keeps a salted fingerprint of
// its first 8 bytes (to find candidates in one pass) and a salted SHA-256 of
// the whole (to confirm them). Values shorter than MinLen are counted and
// not looked for (too many false hits, too little to leak).
package leakscan

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync"
)

// MinLen is the shortest value looked for; MaxLen the longest (a longer one
// is counted and skipped, see Stats: it would need that much of every file
// in memory at once).
const (
	MinLen = 8
	MaxLen = 64 << 10
)

// Replacement takes the place of a value found.
const Replacement = "REDACTED"

// form is one way a value may appear in a file: its length, a salted hash
// of the whole (half a SHA-256, plenty to confirm a candidate), the rule
// that elided it, and the next form with the same fingerprint (longest
// first; -1 ends the chain). 28 bytes and a map entry per form, whatever
// the value's length: a large cluster's Secrets hold 100,000s of values,
// and this is the part of the scanner's memory that grows with them.
type form struct {
	sum    [sumSize]byte
	length uint32
	rule   uint32
	next   int32
}

// sumSize is how much of the salted SHA-256 of a value a form keeps.
const sumSize = 16

// Scanner collects elided values (as fingerprints) and scans files for
// them. It is safe for concurrent use.
type Scanner struct {
	salt   [32]byte
	prefix uint64 // salt of the candidate fingerprint

	mu      sync.Mutex
	forms   []form
	first   map[uint64]int32 // fingerprint of the first MinLen bytes -> its longest form
	bits    []uint64         // a bit per fingerprint's high bits: most positions stop here
	shift   uint             // 64 - log2 of the filter's bits
	rules   []string         // form.rule indexes it
	ruleIDs map[string]uint32
	maxLen  int
	short   int
	tooLong int
}

// New returns a scanner with a fresh random salt.
func New() *Scanner {
	s := &Scanner{first: map[uint64]int32{}, ruleIDs: map[string]uint32{}}
	_, _ = rand.Read(s.salt[:])
	s.prefix = binary.LittleEndian.Uint64(s.salt[:8])
	s.resize(minFilterBits)
	return s
}

// The filter has at least bitsPerForm bits per fingerprint held, so that
// at most about one position in 16 passes it for the map, from 1<<16 bits
// (8 KiB) up to 1<<24 (2 MiB, a million fingerprints at that ratio).
const (
	minFilterBits = 16
	maxFilterBits = 24
	bitsPerForm   = 16
)

// resize makes the filter 1<<bits bits and sets the bit of every form held.
func (s *Scanner) resize(bits uint) {
	s.bits = make([]uint64, 1<<bits/64)
	s.shift = 64 - bits
	for fp := range s.first {
		s.mark(fp)
	}
}

// mark sets the filter's bit of fingerprint fp.
func (s *Scanner) mark(fp uint64) {
	c := fp >> s.shift
	s.bits[c/64] |= 1 << (c % 64)
}

// passes says whether the filter's bit of fingerprint fp is set.
func (s *Scanner) passes(fp uint64) bool {
	c := fp >> s.shift
	return s.bits[c/64]&(1<<(c%64)) != 0
}

// Elided records a value a redaction rule removed (redact.Recorder).
func (s *Scanner) Elided(rule, value string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(value) < MinLen:
		s.short++
		return
	case len(value) > MaxLen:
		s.tooLong++
		return
	}
	s.add(rule, []byte(value))
	if enc := base64.StdEncoding.EncodeToString([]byte(value)); len(enc) <= MaxLen {
		s.add(rule+" (base64)", []byte(enc))
	}
}

// add holds value v, elided by rule, unless it is held already.
func (s *Scanner) add(rule string, v []byte) {
	sum, fp := s.sum(v), s.fingerprint(binary.LittleEndian.Uint64(v))
	head, ok := s.first[fp]
	if !ok {
		head = -1
	}
	for i := head; i >= 0; i = s.forms[i].next {
		if f := s.forms[i]; f.sum == sum && int(f.length) == len(v) {
			return
		}
	}
	f := form{sum: sum, length: uint32(len(v)), rule: s.ruleID(rule), next: -1}
	idx := int32(len(s.forms))
	// Longest first: a value that holds another is replaced whole.
	if head < 0 || len(v) > int(s.forms[head].length) {
		f.next, s.first[fp] = head, idx
	} else {
		prev := head
		for n := s.forms[prev].next; n >= 0 && int(s.forms[n].length) >= len(v); n = s.forms[prev].next {
			prev = n
		}
		f.next, s.forms[prev].next = s.forms[prev].next, idx
	}
	s.forms = append(s.forms, f)
	if bits := 64 - s.shift; len(s.first)*bitsPerForm > 1<<bits && bits < maxFilterBits {
		s.resize(bits + 1)
	}
	s.mark(fp)
	s.maxLen = max(s.maxLen, len(v))
}

// ruleID is the index of rule in s.rules, added when new.
func (s *Scanner) ruleID(rule string) uint32 {
	id, ok := s.ruleIDs[rule]
	if !ok {
		id = uint32(len(s.rules))
		s.rules = append(s.rules, rule)
		s.ruleIDs[rule] = id
	}
	return id
}

// sum is the salted hash of v a form keeps.
func (s *Scanner) sum(v []byte) [sumSize]byte {
	h := sha256.New()
	h.Write(s.salt[:])
	h.Write(v)
	var full [sha256.Size]byte
	h.Sum(full[:0])
	return [sumSize]byte(full[:sumSize])
}

// fingerprint is a salted hash of word, the first MinLen bytes of a value
// (little-endian): one multiplication by an odd constant (Fibonacci
// hashing), whose high bits depend on every bit of the input and index the
// filter. It is computed at every position of every file scanned, so it is
// kept this cheap.
func (s *Scanner) fingerprint(word uint64) uint64 {
	return (word ^ s.prefix) * fibonacci
}

// fibonacci is 2^64 divided by the golden ratio, made odd.
const fibonacci = 0x9e3779b97f4a7c15

// Stats says what the scanner holds: values looked for (each in its raw
// and base64 forms), and values not looked for, too short or too long.
type Stats struct {
	Forms, Short, TooLong int
}

// Stats returns what the scanner holds.
func (s *Scanner) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Forms: len(s.forms), Short: s.short, TooLong: s.tooLong}
}

// match is a value found at an offset of a buffer.
type match struct {
	at, length int
	rule       string
}

// find returns the matches in b that start before limit (a match may run
// past limit, within b), without overlaps.
func (s *Scanner) find(b []byte, limit int) []match {
	var out []match
	// The loop runs at every byte of every file: the window is a word
	// shifted a byte at a time.
	end := min(limit, len(b)-MinLen+1)
	if end <= 0 {
		return nil
	}
	word := binary.LittleEndian.Uint64(b) // the MinLen bytes at i
	loaded := true                        // word is at i already
	for i := 0; i < end; i++ {
		if !loaded {
			word = word>>8 | uint64(b[i+MinLen-1])<<56
		}
		loaded = false
		fp := s.fingerprint(word)
		if !s.passes(fp) {
			continue
		}
		head, ok := s.first[fp]
		if !ok {
			continue
		}
		for j := head; j >= 0; j = s.forms[j].next {
			f := &s.forms[j]
			if n := int(f.length); i+n <= len(b) && s.sum(b[i:i+n]) == f.sum {
				out = append(out, match{at: i, length: n, rule: s.rules[f.rule]})
				i += n - 1
				if i+1 < end {
					word, loaded = binary.LittleEndian.Uint64(b[i+1:]), true
				}
				break
			}
		}
	}
	return out
}

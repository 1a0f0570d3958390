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
	"sort"
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

// form is one way a value may appear in a file.
type form struct {
	length int
	sum    [sha256.Size]byte
	rule   string
}

// Scanner collects elided values (as fingerprints) and scans files for
// them. It is safe for concurrent use.
type Scanner struct {
	salt   [32]byte
	prefix uint64 // salt of the candidate fingerprint

	mu      sync.Mutex
	forms   map[uint64][]form // by fingerprint of the first MinLen bytes
	bits    []uint64          // a bit per fingerprint's high bits: most positions stop here
	shift   uint              // 64 - log2 of the filter's bits
	seen    map[[sha256.Size]byte]bool
	maxLen  int
	short   int
	tooLong int
}

// New returns a scanner with a fresh random salt.
func New() *Scanner {
	s := &Scanner{forms: map[uint64][]form{}, seen: map[[sha256.Size]byte]bool{}}
	_, _ = rand.Read(s.salt[:])
	s.prefix = binary.LittleEndian.Uint64(s.salt[:8])
	s.resize(minFilterBits)
	return s
}

// The filter has at least bitsPerForm bits per form held, so that at most
// about one position in 16 passes it for the map, from 1<<16 bits (8 KiB)
// up to 1<<24 (2 MiB, a million forms at that ratio).
const (
	minFilterBits = 16
	maxFilterBits = 24
	bitsPerForm   = 16
)

// resize makes the filter 1<<bits bits and sets the bit of every form held.
func (s *Scanner) resize(bits uint) {
	s.bits = make([]uint64, 1<<bits/64)
	s.shift = 64 - bits
	for fp := range s.forms {
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

func (s *Scanner) add(rule string, v []byte) {
	sum := s.sum(v)
	if s.seen[sum] {
		return
	}
	s.seen[sum] = true
	fp := s.fingerprint(v)
	s.forms[fp] = append(s.forms[fp], form{length: len(v), sum: sum, rule: rule})
	if bits := 64 - s.shift; len(s.forms)*bitsPerForm > 1<<bits && bits < maxFilterBits {
		s.resize(bits + 1)
	}
	s.mark(fp)
	// Longest first: a value that holds another is replaced whole.
	sort.Slice(s.forms[fp], func(i, j int) bool { return s.forms[fp][i].length > s.forms[fp][j].length })
	s.maxLen = max(s.maxLen, len(v))
}

func (s *Scanner) sum(v []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(s.salt[:])
	h.Write(v)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// fingerprint is a salted hash of the first MinLen bytes of b: one
// multiplication by an odd constant (Fibonacci hashing), whose high bits
// depend on every bit of the input and index the filter. It is computed
// at every position of every file scanned, so it is kept this cheap.
func (s *Scanner) fingerprint(b []byte) uint64 {
	return (binary.LittleEndian.Uint64(b[:MinLen]) ^ s.prefix) * fibonacci
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
	n := 0
	for _, f := range s.forms {
		n += len(f)
	}
	return Stats{Forms: n, Short: s.short, TooLong: s.tooLong}
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
	// The loop runs at every byte of every file: the filter's fields are
	// kept in locals, and the window is a word shifted a byte at a time.
	end := min(limit, len(b)-MinLen+1)
	if end <= 0 {
		return nil
	}
	bits, shift, prefix := s.bits, s.shift, s.prefix
	word := binary.LittleEndian.Uint64(b) // the MinLen bytes at i
	loaded := true                        // word is at i already
	for i := 0; i < end; i++ {
		if !loaded {
			word = word>>8 | uint64(b[i+MinLen-1])<<56
		}
		loaded = false
		fp := (word ^ prefix) * fibonacci
		if c := fp >> shift; bits[c/64]&(1<<(c%64)) == 0 {
			continue
		}
		forms, ok := s.forms[fp]
		if !ok {
			continue
		}
		for _, f := range forms {
			if i+f.length <= len(b) && s.sum(b[i:i+f.length]) == f.sum {
				out = append(out, match{at: i, length: f.length, rule: f.rule})
				i += f.length - 1
				if i+1 < end {
					word, loaded = binary.LittleEndian.Uint64(b[i+1:]), true
				}
				break
			}
		}
	}
	return out
}

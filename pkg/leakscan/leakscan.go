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
	bloom   [1 << 10]uint64   // one bit per fingerprint (mod 1<<16): most positions stop here
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
	return s
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
	s.bloom[(fp>>6)&(1<<10-1)] |= 1 << (fp & 63)
	s.forms[fp] = append(s.forms[fp], form{length: len(v), sum: sum, rule: rule})
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

// fingerprint is a salted hash of the first MinLen bytes of b.
func (s *Scanner) fingerprint(b []byte) uint64 {
	x := binary.LittleEndian.Uint64(b[:MinLen]) ^ s.prefix
	// splitmix64's finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

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
	for i := 0; i < limit && i+MinLen <= len(b); i++ {
		fp := s.fingerprint(b[i:])
		if s.bloom[(fp>>6)&(1<<10-1)]&(1<<(fp&63)) == 0 {
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
				break
			}
		}
	}
	return out
}

package clean

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// PseudoDomain is the domain every name pseudonym is under.
const PseudoDomain = "example.invalid"

// The pseudonym ranges: documentation and benchmarking ranges that no real
// cluster routes (RFC 2544, RFC 3849).
var (
	pseudoIPv4 = netip.MustParsePrefix("198.18.0.0/15")
	pseudoIPv6 = netip.MustParsePrefix("2001:db8::/32")
)

// pseudoMACPrefix starts every MAC pseudonym: 02 is a locally administered
// unicast address, which no vendor assigns.
const pseudoMACPrefix = "02:00:00:"

// Mapping is the table of original values and their pseudonyms, kept in a
// JSON file for the customer alone: with it, a later run gives the same
// pseudonyms. Pseudonyms are numbered in the order values are first met;
// each kind counts from 1, skipping the pseudonyms the mapping holds. It
// is safe for concurrent use.
type Mapping struct {
	mu   sync.RWMutex
	data mappingFile
	used map[string]bool // every pseudonym given
	// full counts the values left as they were because their range of
	// pseudonyms was used up.
	full int
}

// mappingFile is the file's layout.
type mappingFile struct {
	IPv4 map[string]string `json:"ipv4"`
	IPv6 map[string]string `json:"ipv6"`
	MAC  map[string]string `json:"mac"`
	// Domains are the cluster's domains, each searched for.
	Domains map[string]string `json:"domains"`
	// Hosts are the host parts of names: the labels left of a domain,
	// and the bare names searched for (Names).
	Hosts map[string]string `json:"hosts"`
	// Names are the bare names searched for (node names), each in Hosts.
	Names []string `json:"names"`
}

// NewMapping returns an empty mapping.
func NewMapping() *Mapping {
	m := &Mapping{used: map[string]bool{}}
	m.data.init()
	return m
}

func (f *mappingFile) init() {
	for _, p := range []*map[string]string{&f.IPv4, &f.IPv6, &f.MAC, &f.Domains, &f.Hosts} {
		if *p == nil {
			*p = map[string]string{}
		}
	}
}

// ReadMapping reads the mapping file name; a file that does not exist is
// an empty mapping.
func ReadMapping(name string) (*Mapping, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return NewMapping(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading mapping: %w", err)
	}
	m := NewMapping()
	if err := json.Unmarshal(b, &m.data); err != nil {
		return nil, fmt.Errorf("reading mapping %s: %w", name, err)
	}
	m.data.init()
	for _, t := range []map[string]string{m.data.IPv4, m.data.IPv6, m.data.MAC, m.data.Domains, m.data.Hosts} {
		for _, v := range t {
			m.used[v] = true
		}
	}
	for _, n := range m.data.Names {
		if _, ok := m.data.Hosts[n]; !ok {
			return nil, fmt.Errorf("reading mapping %s: name %d has no host pseudonym", name, slices.Index(m.data.Names, n))
		}
	}
	return m, nil
}

// Write writes the mapping to name (0600: it undoes the cleaning), through
// a temporary file renamed into place.
func (m *Mapping) Write(name string) error {
	m.mu.RLock()
	d := m.data
	if d.Names == nil {
		d.Names = []string{}
	}
	b, err := json.MarshalIndent(&d, "", "  ")
	m.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("writing mapping: %w", err)
	}
	return writeFile(name, append(b, '\n'), 0o600)
}

// writeFile writes data to name through a temporary file renamed into
// place, with mode perm.
func writeFile(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(name), err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Chmod(perm), tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", filepath.Base(name), err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", filepath.Base(name), err)
	}
	return nil
}

// Full is how many times a value was met that could not be given a
// pseudonym (its range was used up: 130,048 IPv4 addresses, 16 million
// MACs), and was left as it was.
func (m *Mapping) Full() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.full
}

// Len is the number of values the mapping replaces.
func (m *Mapping) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d := &m.data
	return len(d.IPv4) + len(d.IPv6) + len(d.MAC) + len(d.Domains) + len(d.Hosts)
}

// Originals lists every original value of the mapping, sorted.
func (m *Mapping) Originals() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for _, t := range []map[string]string{m.data.IPv4, m.data.IPv6, m.data.MAC, m.data.Domains, m.data.Hosts} {
		for k := range t {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Pseudonyms maps each original value to its pseudonym (a copy).
func (m *Mapping) Pseudonyms() map[string]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]string{}
	for _, t := range []map[string]string{m.data.IPv4, m.data.IPv6, m.data.MAC, m.data.Domains, m.data.Hosts} {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

// domains and names return what the mapping searches for.
func (m *Mapping) domains() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for d := range m.data.Domains {
		out = append(out, d)
	}
	return out
}

func (m *Mapping) names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.data.Names)
}

// AddDomain makes d (lower case) a domain the cleaning searches for.
func (m *Mapping) AddDomain(d string) {
	m.lookup(m.data.Domains, strings.ToLower(d), domainPseudonym)
}

// AddName makes the bare name n (lower case) one the cleaning searches for.
func (m *Mapping) AddName(n string) {
	n = strings.ToLower(n)
	m.lookup(m.data.Hosts, n, hostPseudonym)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.data.Names, n) {
		m.data.Names = append(m.data.Names, n)
		slices.Sort(m.data.Names)
	}
}

// lookup returns the pseudonym of key in table, giving it the next free
// one of gen (gen(i) for i = 1, 2, ...; "" when the range is used up)
// when it has none.
func (m *Mapping) lookup(table map[string]string, key string, gen func(int) string) string {
	m.mu.RLock()
	v, ok := table[key]
	m.mu.RUnlock()
	if ok {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := table[key]; ok {
		return v
	}
	for i := len(table) + 1; ; i++ {
		v = gen(i)
		if v == "" {
			m.full++
			return ""
		}
		if !m.used[v] {
			break
		}
	}
	table[key] = v
	m.used[v] = true
	return v
}

func (m *Mapping) ipv4(a netip.Addr) string {
	return m.lookup(m.data.IPv4, a.String(), ipv4Pseudonym)
}

func (m *Mapping) ipv6(a netip.Addr) string {
	return m.lookup(m.data.IPv6, a.String(), ipv6Pseudonym)
}

func (m *Mapping) mac(s string) string {
	return m.lookup(m.data.MAC, strings.ToLower(s), macPseudonym)
}

func (m *Mapping) domain(d string) string { return m.lookup(m.data.Domains, d, domainPseudonym) }

func (m *Mapping) host(h string) string { return m.lookup(m.data.Hosts, h, hostPseudonym) }

// ipv4Pseudonym is the i-th address of 198.18.0.0/15 that ends in neither
// .0 nor .255 (they look like network and broadcast addresses).
func ipv4Pseudonym(i int) string {
	n := (i-1)/254*256 + (i-1)%254 + 1
	if n >= 1<<17 {
		return ""
	}
	b := pseudoIPv4.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// ipv6Pseudonym is 2001:db8::i.
func ipv6Pseudonym(i int) string {
	b := pseudoIPv6.Addr().As16()
	for k := 15; k >= 8 && i > 0; k-- {
		b[k] = byte(i)
		i >>= 8
	}
	return netip.AddrFrom16(b).String()
}

// macPseudonym is 02:00:00:xx:xx:xx with i in the last three octets.
func macPseudonym(i int) string {
	if i >= 1<<24 {
		return ""
	}
	return fmt.Sprintf("%s%02x:%02x:%02x", pseudoMACPrefix, byte(i>>16), byte(i>>8), byte(i))
}

func domainPseudonym(i int) string { return "domain-" + strconv.Itoa(i) + "." + PseudoDomain }

func hostPseudonym(i int) string { return "host-" + strconv.Itoa(i) }

package clean

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testMapping searches for the domain c1.corp.example.com and the node
// name worker-7.
func testMapping() *Mapping {
	m := NewMapping()
	m.AddDomain("c1.corp.example.com")
	m.AddName("worker-7")
	return m
}

func TestScannerClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ipv4", "node 10.0.0.1 and 10.0.0.2, again 10.0.0.1.", "node 198.18.0.1 and 198.18.0.2, again 198.18.0.1."},
		{"ipv4 with port and cidr", "10.0.0.1:6443 10.128.0.0/14", "198.18.0.1:6443 198.18.0.2/14"},
		{"ipv4 range", "10.0.0.1-10.0.0.9", "198.18.0.1-198.18.0.2"},
		{"kept ipv4", "0.0.0.0 127.0.0.1 255.255.255.0 169.254.169.254 198.18.0.7 192.0.2.1 224.0.0.1 8.8.8.8 1.1.1.1", "0.0.0.0 127.0.0.1 255.255.255.0 169.254.169.254 198.18.0.7 192.0.2.1 224.0.0.1 8.8.8.8 1.1.1.1"},
		{"not ipv4", "v1.2.3.4.5 1.2.3 01.2.3.4 a1.2.3.4 1.2.3.400", "v1.2.3.4.5 1.2.3 01.2.3.4 a1.2.3.4 1.2.3.400"},
		{"ipv6", "fd00:10::1 [FD00:10:0::1]:443 fe80::a00:27ff:fe4e:66a1%eth0", "2001:db8::1 [2001:db8::1]:443 2001:db8::2%eth0"},
		{"ipv6 prefix and mapped", "fd00::/48 ::ffff:10.1.2.3", "2001:db8::1/48 2001:db8::2"},
		{"ipv6 after a word and a colon", "addr:fd00::1 worker-7:fd00::1 src=fd00::1", "addr:2001:db8::1 host-1:2001:db8::1 src=2001:db8::1"},
		{"kept ipv6", ":: ::1 ff02::1 2001:db8::5", ":: ::1 ff02::1 2001:db8::5"},
		{"not ipv6", "12:34:56 2026-12-06T05:23:00.123Z be::ef std::string sha256:abcdef", "12:34:56 2026-12-06T05:23:00.123Z be::ef std::string sha256:abcdef"},
		{"mac", "link/ether 52:54:00:AB:cd:01 brd ff:ff:ff:ff:ff:ff 52:54:00:ab:CD:01", "link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff 02:00:00:00:00:01"},
		{"domain", "https://api.c1.corp.example.com:6443 and c1.corp.example.com.", "https://host-2.domain-1.example.invalid:6443 and domain-1.example.invalid."},
		{"host under domain keeps node pseudonym", "worker-7.c1.corp.example.com WORKER-7", "host-1.domain-1.example.invalid host-1"},
		{"longest domain, many labels", "x.y.z.worker-7.c1.corp.example.com.", "host-2.domain-1.example.invalid."},
		{"ec2 host names", "ip-10-0-1-3.us-west-2.compute.internal IP-10-0-1-3 10.0.1.3 ip-10-0-1-300 zip-10-0-1-3 ip-10-0-1", "ip-198-18-0-1.us-west-2.compute.internal IP-198-18-0-1 198.18.0.1 ip-10-0-1-300 zip-10-0-1-3 ip-10-0-1"},
		{"ec2 host name under a domain is replaced whole", "ip-10-0-1-3.c1.corp.example.com", "host-2.domain-1.example.invalid"},
		{"name in words", "etcd-worker-7 worker-7_kubelet.log audit/worker-7-audit.log.gz", "etcd-host-1 host-1_kubelet.log audit/host-1-audit.log.gz"},
		{"url escapes", "?fieldSelector=spec.nodeName%3Dworker-7&ip=%2010.0.0.1", "?fieldSelector=spec.nodeName%3Dhost-1&ip=%20198.18.0.1"},
		{"name not in longer word", "worker-70 aworker-7 worker-7x", "worker-70 aworker-7 worker-7x"},
		{"other domain", "example.com corp.example.com", "example.com corp.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScanner(newMatcher(testMapping()))
			got := string(sc.clean(nil, []byte(tt.in), new(counts)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("clean(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestPseudonyms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		gen  func(int) string
		i    int
		want string
	}{
		{"ipv4 first", ipv4Pseudonym, 1, "198.18.0.1"},
		{"ipv4 skips .255 and .0", ipv4Pseudonym, 255, "198.18.1.1"},
		{"ipv4 last", ipv4Pseudonym, 512 * 254, "198.19.255.254"},
		{"ipv4 used up", ipv4Pseudonym, 512*254 + 1, ""},
		{"ipv6", ipv6Pseudonym, 300, "2001:db8::12c"},
		{"mac", macPseudonym, 0x010203, "02:00:00:01:02:03"},
		{"domain", domainPseudonym, 2, "domain-2.example.invalid"},
		{"host", hostPseudonym, 3, "host-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.gen(tt.i)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A value met once its range of pseudonyms is used up is counted, not
// silently given a wrong one.
func TestMappingFull(t *testing.T) {
	t.Parallel()
	m := NewMapping()
	gen := func(i int) string {
		if i > 2 {
			return ""
		}
		return fmt.Sprint("p", i)
	}
	var got []string
	for _, k := range []string{"a", "b", "c", "a"} {
		got = append(got, m.lookup(m.data.IPv4, k, gen))
	}
	if diff := cmp.Diff([]string{"p1", "p2", "", "p1"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if m.Full() != 1 {
		t.Errorf("Full() = %d, want 1", m.Full())
	}
}

package clean

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Found are the names a bundle tells about its cluster.
type Found struct {
	// Domains: the ingress domains, the DNS base domain, the API
	// server's domain, the domains of node FQDNs.
	Domains []string
	// Names: the node names (and the first label of an FQDN one).
	Names []string
}

// ignoredDomains are never searched for when found: they name no one
// (the Kubernetes default cluster domain, local resolvers).
var ignoredDomains = map[string]bool{"cluster.local": true, "svc.cluster.local": true, "localdomain": true, "local": true}

// ignoredNames are node names left alone: words every log holds.
var ignoredNames = map[string]bool{"localhost": true}

// Discover reads the cluster's own names from a bundle: nodes
// (cluster-scoped-resources/core/nodes), and on OpenShift the ingress, DNS
// and infrastructure configs (config.openshift.io), under any folder of
// the bundle. A file it cannot read is an error, and the others are read.
func Discover(ctx context.Context, fsys fs.FS) (Found, error) {
	var f Found
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		i := strings.LastIndex(p, "cluster-scoped-resources/")
		if i < 0 {
			return nil
		}
		rest := p[i+len("cluster-scoped-resources/"):]
		var read func(map[string]any)
		switch {
		case rest == "core/nodes.yaml" || path.Dir(rest) == "core/nodes":
			read = f.node
		case strings.HasPrefix(rest, "config.openshift.io/ingresses"):
			read = func(o map[string]any) {
				f.addDomain(str(o, "spec", "domain"))
				f.addDomain(str(o, "spec", "appsDomain"))
			}
		case strings.HasPrefix(rest, "config.openshift.io/dnses"):
			read = func(o map[string]any) { f.addDomain(str(o, "spec", "baseDomain")) }
		case strings.HasPrefix(rest, "config.openshift.io/infrastructures"):
			read = func(o map[string]any) {
				for _, k := range []string{"apiServerURL", "apiServerInternalURI"} {
					if u, err := url.Parse(str(o, "status", k)); err == nil && u.Hostname() != "" {
						f.addDomain(parentDomain(u.Hostname()))
					}
				}
				f.addDomain(str(o, "status", "etcdDiscoveryDomain"))
			}
		default:
			return nil
		}
		if err := readObjects(fsys, p, read); err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", p, err))
		}
		return nil
	})
	return f, errors.Join(append(errs, err)...)
}

// readObjects calls read with each object of the YAML file p (documents,
// and the items of a list).
func readObjects(fsys fs.FS, p string, read func(map[string]any)) error {
	r, err := fsys.Open(p)
	if err != nil {
		return err
	}
	defer r.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 64<<10)
	for {
		var o map[string]any
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if items, ok := o["items"].([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					read(m)
				}
			}
			continue
		}
		if o != nil {
			read(o)
		}
	}
}

// node adds a node's name and its DNS names.
func (f *Found) node(o map[string]any) {
	if str(o, "kind") != "" && str(o, "kind") != "Node" {
		return
	}
	f.addHost(str(o, "metadata", "name"))
	addrs, _ := get(o, "status", "addresses").([]any)
	for _, a := range addrs {
		m, _ := a.(map[string]any)
		switch str(m, "type") {
		case "Hostname", "InternalDNS", "ExternalDNS":
			f.addHost(str(m, "address"))
		}
	}
}

// addHost adds a host name: a bare name, or an FQDN whose first label is a
// name and the rest a domain.
func (f *Found) addHost(h string) {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || ignoredNames[h] || !isDNSName(h) {
		return
	}
	label, domain, fqdn := strings.Cut(h, ".")
	f.Names = appendNew(f.Names, label)
	if fqdn {
		f.addDomain(domain)
	}
}

// addDomain adds a domain of at least two labels.
func (f *Found) addDomain(d string) {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if !strings.Contains(d, ".") || ignoredDomains[d] || !isDNSName(d) || isPseudonym(d) {
		return
	}
	f.Domains = appendNew(f.Domains, d)
}

// isPseudonym says whether d is the pseudonyms' domain, under it or above
// it (invalid): searching for it would replace the pseudonyms themselves.
func isPseudonym(d string) bool {
	return d == PseudoDomain || strings.HasSuffix(d, "."+PseudoDomain) || strings.HasSuffix(PseudoDomain, "."+d)
}

// ValidDomain says why d cannot be searched for ("" when it can): a DNS
// name (letters, digits, '-' and '.'), lower case, not the pseudonyms'.
func ValidDomain(d string) string {
	switch {
	case d == "" || strings.Trim(d, "abcdefghijklmnopqrstuvwxyz0123456789-.") != "":
		return "want a DNS name (letters, digits, '-' and '.')"
	case isPseudonym(d):
		return "the pseudonyms are under " + PseudoDomain
	}
	return ""
}

// parentDomain is h without its first label (api.c.example.com ->
// c.example.com).
func parentDomain(h string) string {
	_, d, _ := strings.Cut(h, ".")
	return d
}

// isDNSName says whether s is made of letters, digits, '-' and '.' only,
// and is not an IP address (digits and dots only).
func isDNSName(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9', c == '-', c == '.':
		default:
			return false
		}
	}
	return letter
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// get walks o along keys.
func get(o map[string]any, keys ...string) any {
	var v any = o
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(o map[string]any, keys ...string) string {
	s, _ := get(o, keys...).(string)
	return s
}

package inspect

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/restmapper"
)

// resource is a resolved, served resource type.
type resource struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	listable   bool
	categories []string
}

func (r resource) gr() schema.GroupResource { return r.gvr.GroupResource() }

// is says whether r is the core type of that resource name.
func (r resource) is(coreResource string) bool {
	return r.gvr.Group == "" && r.gvr.Resource == coreResource
}

// errNotServed marks a type the server does not serve: a warning, not an
// error (an OpenShift type on plain Kubernetes, a CRD not installed).
var errNotServed = errors.New("not served by this server")

// catalog is what discovery says the server serves, read once per run.
type catalog struct {
	mapper    meta.RESTMapper
	disc      discovery.DiscoveryInterface
	resources map[schema.GroupVersionResource]resource
	// preferred holds each group's resources at its preferred version.
	preferred []resource
	// warnings of a partial discovery (an aggregated API down).
	warnings []string
}

func newCatalog(disc discovery.DiscoveryInterface) (*catalog, error) {
	groups, err := restmapper.GetAPIGroupResources(disc)
	c := &catalog{disc: disc, resources: map[schema.GroupVersionResource]resource{}}
	if err != nil {
		if len(groups) == 0 {
			return nil, fmt.Errorf("discovering the server's resources: %w", err)
		}
		// Some groups failed (e.g. an aggregated API is down): use the rest.
		c.warnings = append(c.warnings, fmt.Sprintf("partial discovery: %v", err))
	}
	c.mapper = restmapper.NewShortcutExpander(restmapper.NewDiscoveryRESTMapper(groups), disc, func(string) {})
	for _, g := range groups {
		for version, list := range g.VersionedResources {
			for _, r := range list {
				if strings.Contains(r.Name, "/") {
					continue // subresource
				}
				gvr := schema.GroupVersionResource{Group: g.Group.Name, Version: version, Resource: r.Name}
				res := resource{gvr: gvr, kind: r.Kind, namespaced: r.Namespaced, listable: hasVerb(r, "list"), categories: r.Categories}
				c.resources[gvr] = res
				if version == g.Group.PreferredVersion.Version {
					c.preferred = append(c.preferred, res)
				}
			}
		}
	}
	sortResources(c.preferred)
	return c, nil
}

func hasVerb(r metav1.APIResource, verb string) bool {
	for _, v := range r.Verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// resolve maps a type as a user writes it (pods, po, deployments.apps,
// deployments.v1.apps, clusteroperator, ...) to the served resource, at
// the server's preferred version unless one is given.
func (c *catalog) resolve(token string) (resource, error) {
	token = strings.ToLower(token)
	full, gr := schema.ParseResourceArg(token)
	if full != nil {
		if gvr, err := c.mapper.ResourceFor(*full); err == nil {
			return c.served(token, gvr, nil)
		}
	}
	gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
	return c.served(token, gvr, err)
}

// resolveGroupResource maps a relatedObjects entry (group, resource) to
// the served resource.
func (c *catalog) resolveGroupResource(gr schema.GroupResource) (resource, error) {
	gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
	return c.served(gr.String(), gvr, err)
}

// served turns the mapper's answer into a served resource, or errNotServed.
func (c *catalog) served(what string, gvr schema.GroupVersionResource, err error) (resource, error) {
	if err != nil && !meta.IsNoMatchError(err) {
		return resource{}, fmt.Errorf("resolving %s: %w", what, err)
	}
	r, ok := c.resources[gvr]
	if err != nil || !ok {
		return resource{}, fmt.Errorf("%s: %w", what, errNotServed)
	}
	return r, nil
}

// groupsWithSuffix lists the listable resources, at their preferred
// version, of every group whose name ends with suffix.
func (c *catalog) groupsWithSuffix(suffix string) []resource {
	var out []resource
	for _, r := range c.preferred {
		if strings.HasSuffix(r.gvr.Group, suffix) && r.listable {
			out = append(out, r)
		}
	}
	return out
}

// inCategory lists the served resources of a category ("all"), at their
// preferred version.
func (c *catalog) inCategory(category string) []resource {
	var out []resource
	for _, r := range c.preferred {
		for _, cat := range r.categories {
			if cat == category {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

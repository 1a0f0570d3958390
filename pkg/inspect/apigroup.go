package inspect

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkAPIGroup accepts an --api-group value: a group name
// (example.com), or a group and its subgroups (.example.com).
func checkAPIGroup(pattern string) error {
	name := strings.TrimPrefix(pattern, ".")
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return fmt.Errorf("--api-group %q: not a group name: %s", pattern, strings.Join(msgs, "; "))
	}
	return nil
}

// GroupMatches reports whether an --api-group value takes group: a name
// takes that group only; a name with a leading dot (.example.com) takes
// example.com and every group ending in .example.com.
func GroupMatches(pattern, group string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "."); ok {
		return group == suffix || strings.HasSuffix(group, pattern)
	}
	return group == pattern
}

// crdType is the type of CustomResourceDefinitions.
const crdType = "customresourcedefinitions.apiextensions.k8s.io"

// gatherAPIGroup gathers what --api-group names: every CRD whose group
// matches, and every object of every served type of the matching groups
// (their custom resources, and an aggregated API's types) in all
// namespaces, each in its own file, following what they point at.
func (in *inspector) gatherAPIGroup(ctx context.Context, pattern string) {
	found := 0
	if crds, err := in.cat.resolve(crdType); err == nil {
		in.eachItem(ctx, crds, "", func(item *unstructured.Unstructured) error {
			group, _, _ := unstructured.NestedString(item.Object, "spec", "group")
			if GroupMatches(pattern, group) {
				found++
				in.handleObject(ctx, crds, item)
			}
			return nil
		})
	}
	for _, r := range in.cat.preferred {
		if r.listable && GroupMatches(pattern, r.gvr.Group) {
			found++
			in.gatherAll(ctx, r, metav1.NamespaceAll)
		}
	}
	if found == 0 {
		in.warn(fmt.Sprintf("--api-group %s: no CRD and no served type of that group", pattern))
	}
}

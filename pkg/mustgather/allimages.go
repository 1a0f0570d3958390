package mustgather

import (
	"context"
	"fmt"
	"slices"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// MustGatherImageAnnotation names an operator's must-gather image on its
// ClusterOperator or ClusterServiceVersion, as oc's --all-images reads it.
const MustGatherImageAnnotation = "operators.openshift.io/must-gather-image"

// annotatedKinds are where --all-images looks for that annotation.
var annotatedKinds = []schema.GroupVersionResource{
	{Group: "config.openshift.io", Version: "v1", Resource: "clusteroperators"},
	{Group: "operators.coreos.com", Version: "v1alpha1", Resource: "clusterserviceversions"},
}

// annotatedImages returns the images the annotation names on every
// ClusterOperator and ClusterServiceVersion, sorted, without duplicates and
// without skip (the default image). A type the server does not serve has
// none (plain Kubernetes without OLM: none at all); notes says so.
func annotatedImages(ctx context.Context, dyn dynamic.Interface, skip string) (images, notes []string, err error) {
	seen := map[string]bool{skip: true}
	for _, gvr := range annotatedKinds {
		list, lerr := dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(lerr) {
			notes = append(notes, fmt.Sprintf("the server serves no %s.%s", gvr.Resource, gvr.Group))
			continue
		}
		if lerr != nil {
			return nil, notes, fmt.Errorf("listing %s.%s for --all-images: %w", gvr.Resource, gvr.Group, lerr)
		}
		n := 0
		for _, item := range list.Items {
			img := item.GetAnnotations()[MustGatherImageAnnotation]
			if img == "" {
				continue
			}
			n++
			if !seen[img] {
				seen[img] = true
				images = append(images, img)
			}
		}
		notes = append(notes, fmt.Sprintf("%d of %d %s.%s name a must-gather image", n, len(list.Items), gvr.Resource, gvr.Group))
	}
	sort.Strings(images)
	return slices.Compact(images), notes, nil
}

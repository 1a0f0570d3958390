package mustgather

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

func annotated(kind, name, image string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(map[string]string{"ClusterOperator": "config.openshift.io/v1", "ClusterServiceVersion": "operators.coreos.com/v1alpha1"}[kind])
	u.SetKind(kind)
	u.SetName(name)
	if image != "" {
		u.SetAnnotations(map[string]string{MustGatherImageAnnotation: image})
	}
	return u
}

func TestAnnotatedImages(t *testing.T) {
	t.Parallel()
	kinds := map[schema.GroupVersionResource]string{
		annotatedKinds[0]: "ClusterOperatorList",
		annotatedKinds[1]: "ClusterServiceVersionList",
	}
	tests := []struct {
		name      string
		objects   []runtime.Object
		notServed bool
		want      []string
		wantNotes []string
	}{
		{
			name: "OpenShift with OLM",
			objects: []runtime.Object{
				annotated("ClusterOperator", "etcd", "quay.io/b"), annotated("ClusterOperator", "dns", ""),
				annotated("ClusterOperator", "network", "default"), // the default image: once
				annotated("ClusterServiceVersion", "odf", "quay.io/a"), annotated("ClusterServiceVersion", "odf2", "quay.io/b"),
			},
			want: []string{"quay.io/a", "quay.io/b"},
			wantNotes: []string{"2 of 3 clusteroperators.config.openshift.io name a must-gather image",
				"2 of 2 clusterserviceversions.operators.coreos.com name a must-gather image"},
		},
		{
			name:      "plain Kubernetes",
			notServed: true,
			wantNotes: []string{"the server serves no clusteroperators.config.openshift.io", "the server serves no clusterserviceversions.operators.coreos.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds, tc.objects...)
			if tc.notServed {
				dyn.PrependReactor("list", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewNotFound(a.GetResource().GroupResource(), "")
				})
			}
			got, notes, err := annotatedImages(t.Context(), dyn, "default")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantNotes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

package mustgather

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
)

// gatherRolesYAML holds the least-privilege roles of our own image
// (gather-role.yaml, documented in docs/client.md).
//
//go:embed gather-role.yaml
var gatherRolesYAML []byte

// The roles of gather-role.yaml: ReadRole is bound cluster-wide,
// DebugPodsRole in the run's namespace only.
const (
	ReadRole      = "must-gather-toolkit:read"
	DebugPodsRole = "must-gather-toolkit:debug-pods"
)

// adminRole is what other images are bound to, as oc binds them.
const adminRole = "cluster-admin"

// GatherRoles returns the roles of gather-role.yaml.
func GatherRoles() ([]*rbacv1.ClusterRole, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(gatherRolesYAML), 4096)
	var roles []*rbacv1.ClusterRole
	for {
		var r rbacv1.ClusterRole
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return roles, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading gather-role.yaml: %w", err)
		}
		if r.Kind != "ClusterRole" || r.Name == "" {
			return nil, fmt.Errorf("gather-role.yaml: a %q named %q, want ClusterRoles", r.Kind, r.Name)
		}
		roles = append(roles, &r)
	}
}

// applyRole creates the role, or updates it when its rules or labels
// differ from want (an older client's); it is never deleted, so later runs
// find it. It says what it did.
func applyRole(ctx context.Context, cs kubernetes.Interface, want *rbacv1.ClusterRole) (string, error) {
	roles := cs.RbacV1().ClusterRoles()
	_, err := roles.Create(ctx, want, metav1.CreateOptions{})
	if err == nil {
		return "created", nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating cluster role %s: %w", want.Name, err)
	}
	have, err := roles.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading cluster role %s: %w", want.Name, err)
	}
	if equality.Semantic.DeepEqual(have.Rules, want.Rules) && labelsHold(have.Labels, want.Labels) {
		return "unchanged", nil
	}
	upd := have.DeepCopy()
	upd.Rules = want.Rules
	if upd.Labels == nil {
		upd.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		upd.Labels[k] = v
	}
	if _, err := roles.Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return "", fmt.Errorf("updating cluster role %s: %w", want.Name, err)
	}
	return "updated", nil
}

// labelsHold says whether have carries every label of want.
func labelsHold(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

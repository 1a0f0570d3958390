package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/mustgather"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/test/clustertest"
)

// lessThanShipped is the shipped read role less what a cautious
// administrator may withhold: Secrets and nodes/proxy (the kubelet's API).
// RBAC cannot subtract from a wildcard, so its rules name every resource
// and subresource the server serves now, each group apart. Bound with
// --cluster-role, the gather pods also get no role binding in their
// namespace: they may not create pods (the node collectors' debug pods).
func lessThanShipped(t *testing.T, name string) *rbacv1.ClusterRole {
	t.Helper()
	withheld := map[string]bool{"/secrets": true, "/nodes/proxy": true}
	_, lists, err := clustertest.Client(t).Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	byGroup := map[string][]string{}
	for _, l := range lists {
		gv, err := schemaGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if withheld[gv+"/"+r.Name] || slices.Contains(byGroup[gv], r.Name) {
				continue
			}
			byGroup[gv] = append(byGroup[gv], r.Name)
		}
	}
	shipped, err := mustgather.GatherRoles()
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, r := range shipped {
		if r.Name != mustgather.ReadRole {
			continue
		}
		for _, rule := range r.Rules {
			if len(rule.NonResourceURLs) > 0 {
				role.Rules = append(role.Rules, rule)
			}
		}
	}
	for g, resources := range byGroup {
		slices.Sort(resources)
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: resources, Verbs: []string{"get", "list"}})
	}
	return role
}

// schemaGroupVersion is the group of a discovery group version ("v1": the
// core group, "").
func schemaGroupVersion(gv string) (string, error) {
	g, _, found := strings.Cut(gv, "/")
	if !found {
		return "", nil
	}
	return g, nil
}

// The default gather of our image, bound to less than the shipped roles
// (no Secrets, no nodes/proxy, no pod create): what it may not read is
// recorded in its manifest as forbidden (the Secrets list; the node
// collectors, whose debug pods and node log proxy are both refused);
// everything else is there, as much as a gather with cluster-admin on the
// host gathers (run beside it); the client exits 3 (partial).
func TestClientLeastPrivilege(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	cs := clustertest.Client(t)
	role := lessThanShipped(t, "mgtk-e2e-less-"+randomSuffix())
	if _, err := cs.RbacV1().ClusterRoles().Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(context.Background(), role.Name, metav1.DeleteOptions{}) })

	var (
		r        *clientRun
		adminDir string
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		r = runClient(t, bin, 4*time.Minute, "--image", ref, "--timeout", "3m", "--cluster-role", role.Name)
	})
	wg.Go(func() {
		// The same default steps as cluster-admin, from the host (the node
		// collectors through the node log proxy: no debug image here).
		adminDir = filepath.Join(t.TempDir(), "admin")
		code, _, stderr, _ := hostGather(t, kubeconfigPath(t), adminDir, 3*time.Minute, defaultSteps(t), "--volume-percentage", "100")
		if code != cli.ExitOK {
			t.Errorf("the cluster-admin gather on the host: exit code %d\n%s", code, stderr)
		}
	})
	wg.Wait()
	t.Logf("kubectl-must_gather --cluster-role %s took %s", role.Name, r.took)
	if r.code != cli.ExitPartial {
		t.Fatalf("exit code %d (%v), want %d (partial)\nstderr:\n%s", r.code, r.err, cli.ExitPartial, r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "bound to cluster role "+role.Name+" (") {
		t.Errorf("stderr does not say the pods are bound to %s:\n%s", role.Name, r.stderr.String())
	}
	assertRunGone(t, runIDOf(t, r.stderr.String()))

	folder := imageFolder(t, r.dest)
	var m steps.Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(folder, steps.ManifestFile))), &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != steps.RunPartial {
		t.Errorf("manifest status %q, want %q", m.Status, steps.RunPartial)
	}
	for _, s := range m.Steps {
		t.Logf("step %s (%s): %s: %.600s", s.Name, s.Command, s.Status, s.Error)
		if s.Status != steps.StatusFailed || !strings.Contains(s.Error, "forbidden") {
			t.Errorf("step %s (%s): %s, want failed and forbidden: %s", s.Name, s.Command, s.Status, s.Error)
		}
		switch {
		case strings.HasPrefix(s.Command, "inspect"):
			// Secrets alone are refused: every forbidden the step records
			// is about them.
			for _, part := range strings.Split(s.Error, "\n") {
				if strings.Contains(part, "forbidden") && !strings.Contains(part, "secrets") {
					t.Errorf("inspect: a refusal other than Secrets: %s", part)
				}
			}
		default:
			// Each node: its debug pod refused (no pod create), then the
			// node log proxy (no nodes/proxy).
			if len(s.Nodes) == 0 {
				t.Errorf("%s: no node reported", s.Command)
			}
			for _, n := range s.Nodes {
				t.Logf("%s: node %s: %s (%s)", s.Command, n.Name, n.Path, n.Reason)
				if !strings.Contains(n.Reason, "debug pod") || !strings.Contains(n.Reason, "forbidden") {
					t.Errorf("%s: node %s: %s (%s), want forbidden", s.Command, n.Name, n.Path, n.Reason)
				}
			}
		}
	}

	// Everything else is there: each kind of data the cluster-admin run
	// gathered, but Secrets, audit logs and host service logs.
	have := dataKinds(t, folder)
	var missing []string
	for k := range dataKinds(t, adminDir) {
		if have[k] || strings.HasSuffix(k, "/core/secrets.yaml") || strings.HasPrefix(k, "audit_logs") || strings.HasPrefix(k, "host_service_logs") {
			continue
		}
		missing = append(missing, k)
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the least-privilege run lacks what the cluster-admin run gathered: %v", missing)
	}
	for k := range have {
		if strings.HasSuffix(k, "/core/secrets.yaml") {
			t.Errorf("%s gathered without the right to read Secrets", k)
		}
	}
	t.Logf("%d kinds of data in the least-privilege run", len(have))
}

// defaultSteps are the step files of the repository's gather.d (what the
// image ships), by name.
func defaultSteps(t *testing.T) map[string]string {
	t.Helper()
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(root, "gather.d", "[0-9]*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("gather.d step files: %v (%v)", names, err)
	}
	files := map[string]string{}
	for _, n := range names {
		files[filepath.Base(n)] = read(t, n)
	}
	return files
}

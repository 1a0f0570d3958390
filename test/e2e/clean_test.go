package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
	"github.com/must-gather/toolkit/test/clustertest"
)

// cleanRun is a bundle gathered from the test cluster and cleaned with
// `gather clean`: what a check of the cleaned bundle needs.
type cleanRun struct {
	// Source is the gathered bundle (a folder); Dir the cleaned one.
	Source, Dir string
	// Mapping is the mapping file `gather clean` wrote.
	Mapping string
	// Secret are the values that must not be left anywhere in Dir: the
	// node's InternalIP, the pod IPs, the node name, the planted domain.
	Secret []string
	// Domain is the planted domain, in a ConfigMap (data and base64
	// binaryData, and so in the gzipped audit log) and a pod's log.
	Domain string
	// Namespace holds the planted objects.
	Namespace string
}

// mappingFile is the part of the mapping file the test reads.
type mappingFile struct {
	IPv4    map[string]string `json:"ipv4"`
	Domains map[string]string `json:"domains"`
	Hosts   map[string]string `json:"hosts"`
}

// pseudonym is the pseudonym the mapping gives v.
func (m mappingFile) pseudonym(v string) string {
	for _, t := range []map[string]string{m.IPv4, m.Domains, m.Hosts} {
		if p, ok := t[strings.ToLower(v)]; ok {
			return p
		}
	}
	return ""
}

// cleanedBundle plants a domain in the cluster, gathers the namespace, the
// node and the audit logs (gzipped) with the gather command, and cleans the
// result with `gather clean`.
func cleanedBundle(t *testing.T) *cleanRun {
	t.Helper()
	node := clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	domain := "corp-" + ns + ".planted.test"
	mustCreate(t, func() error {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "db." + domain},
			Data:       map[string]string{"url": "postgres://db." + domain + ":5432/app"},
			BinaryData: map[string][]byte{"resolv.conf": []byte("search " + domain + "\nnameserver 10.96.0.10\n")},
		}, metav1.CreateOptions{})
		return err
	})
	createPod(t, clustertest.TestPod(t, ns, "talker", "log", "connecting to api."+domain))
	pod := clustertest.WaitForPod(t, ns, "talker", time.Minute, func(p *corev1.Pod) bool { return p.Status.PodIP != "" })
	n, err := cs.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &cleanRun{Namespace: ns, Domain: domain, Secret: []string{node, domain, pod.Status.PodIP}}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			r.Secret = append(r.Secret, a.Address)
		}
	}
	src, code, _, stderr := gatherRun(t, kubeconfigPath(t), "inspect ns/"+ns, "inspect nodes/"+node, "audit-logs --no-debug-pods")
	if code != 0 {
		t.Fatalf("gather exit code %d:\n%s", code, stderr)
	}
	r.Source = src
	r.Dir = filepath.Join(t.TempDir(), "cleaned")
	r.Mapping = r.Dir + ".mapping.json"
	out, errOut, code := runClean(t, src, "--out", r.Dir, "--domain", domain)
	if code != 0 {
		t.Fatalf("gather clean exit code %d:\n%s%s", code, out, errOut)
	}
	t.Logf("gather clean:\n%s%s", out, errOut)
	return r
}

// runClean runs `gather clean` with args.
func runClean(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = app.Main(t.Context(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, append([]string{"clean"}, args...))
	return out.String(), errOut.String(), code
}

// After `gather clean`, none of the node's IP, the pod IPs, the node name
// or the planted domain is in any file or file name (.gz files
// decompressed, base64 values decoded); each file of the source that held
// one holds its one pseudonym instead; a rerun with the mapping, from the
// bundle as an archive, gives the same files; gather serve serves the
// cleaned bundle.
func TestCleanLeavesNoAddressOrName(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := cleanedBundle(t)
	t.Logf("gathered and cleaned in %s", time.Since(start).Round(time.Millisecond))
	src, cleaned := outputtest.ReadTree(t, r.Source, true), outputtest.ReadTree(t, r.Dir, true)
	var m mappingFile
	if err := json.Unmarshal([]byte(read(t, r.Mapping)), &m); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(r.Mapping); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mapping file %v: %v", fi, err)
	}
	pseudo := map[string]string{}
	for _, s := range r.Secret {
		if pseudo[s] = m.pseudonym(s); pseudo[s] == "" {
			t.Fatalf("the mapping has no pseudonym for %s", s)
		}
	}
	// The cleaned path of a source file: its node name replaced.
	cleanPath := func(p string) string { return strings.ReplaceAll(p, r.Secret[0], pseudo[r.Secret[0]]) }
	if len(src) != len(cleaned) {
		t.Errorf("%d files gathered, %d cleaned", len(src), len(cleaned))
	}
	held := map[string]int{}
	for p, text := range src {
		c, ok := cleaned[cleanPath(p)]
		if !ok {
			t.Errorf("%s: not in the cleaned bundle (as %s)", p, cleanPath(p))
			continue
		}
		for _, s := range r.Secret {
			if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
				held[s]++
				if !strings.Contains(c, pseudo[s]) {
					t.Errorf("%s held %s but its cleaned copy lacks its pseudonym %s", p, s, pseudo[s])
				}
			}
		}
	}
	gzHeld := false
	for p, text := range src {
		gzHeld = gzHeld || strings.HasSuffix(p, ".gz") && strings.Contains(text, r.Domain)
	}
	if !gzHeld {
		t.Errorf("no gathered .gz file holds the planted domain")
	}
	for _, s := range r.Secret {
		if held[s] == 0 {
			t.Errorf("no gathered file holds %s: the test checks nothing for it", s)
		}
	}
	t.Logf("files holding each value before cleaning: %v", held)
	for p, text := range cleaned {
		for _, s := range r.Secret {
			if strings.Contains(strings.ToLower(p), strings.ToLower(s)) {
				t.Errorf("%s: its name still holds %s", p, s)
			}
			if i := strings.Index(strings.ToLower(text), strings.ToLower(s)); i >= 0 {
				t.Errorf("%s still holds %s: ...%s...", p, s, text[max(0, i-120):min(len(text), i+len(s)+120)])
			}
		}
	}
	// The ConfigMap's base64 value was decoded, cleaned and encoded again.
	cmFile := "namespaces/" + r.Namespace + "/core/configmaps.yaml"
	var cms corev1.ConfigMapList
	if err := yaml.Unmarshal([]byte(cleaned[cmFile]), &cms); err != nil {
		t.Fatalf("%s: %v", cmFile, err)
	}
	var resolv []string
	for _, cm := range cms.Items {
		if v, ok := cm.BinaryData["resolv.conf"]; ok {
			resolv = append(resolv, string(v))
		}
	}
	want := []string{"search " + pseudo[r.Domain] + "\nnameserver " + m.IPv4["10.96.0.10"] + "\n"}
	if diff := cmp.Diff(want, resolv); diff != "" {
		t.Errorf("binaryData resolv.conf of %s (-want +got):\n%s", cmFile, diff)
	}

	// Again with the mapping, from the bundle as an archive, as
	// docs/clean.md shows it: the same files.
	dir := t.TempDir()
	if _, err := bundle.Write(t.Context(), r.Source, filepath.Join(dir, "must-gather.tar.gz"), bundle.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "must-gather-clean.mapping.json"), []byte(read(t, r.Mapping)), 0o600); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + filepath.Dir(gatherBinary(t)) + string(os.PathListSeparator) + os.Getenv("PATH")
	if out, code := runShell(t, dir, environ(nil, path), documented(t, "docs/clean.md", "gather clean must-gather.tar.gz")); code != 0 {
		t.Fatalf("second gather clean exit code %d:\n%s", code, out)
	}
	if diff := cmp.Diff(cleaned, outputtest.ReadTree(t, filepath.Join(dir, "must-gather-clean"), true)); diff != "" {
		t.Errorf("the rerun with the mapping differs (-first +second):\n%s", diff)
	}
	var m2 mappingFile
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "must-gather-clean.mapping.json"))), &m2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, m2); diff != "" {
		t.Errorf("the rerun changed the mapping (-first +second):\n%s", diff)
	}
	names := make([]string, 0, len(cleaned))
	for p := range cleaned {
		names = append(names, p)
	}
	sort.Strings(names)
	t.Logf("cleaned files: %v", names)

	// The cleaned bundle is still a bundle: gather serve answers kubectl
	// from it, with the source's pods, and the node and the pod's IP under
	// their pseudonyms.
	served := ServedPods(t, r.Source)
	if !slices.Contains(served, r.Namespace+"/talker") {
		t.Errorf("kubectl get pods -A, served from the source: %v, want %s/talker among them", served, r.Namespace)
	}
	if diff := cmp.Diff(served, ServedPods(t, r.Dir)); diff != "" {
		t.Errorf("kubectl get pods -A, served from the source (-) and the cleaned bundle (+):\n%s", diff)
	}
	kc := startServe(t, r.Dir)
	node, podIP := r.Secret[0], r.Secret[2]
	if got := strings.TrimSpace(mustKubectl(t, kc, "get", "nodes", "-o", "name")); got != "node/"+pseudo[node] {
		t.Errorf("kubectl get nodes -o name on the cleaned bundle: %q, want node/%s", got, pseudo[node])
	}
	if got := mustKubectl(t, kc, "get", "pod", "talker", "-n", r.Namespace, "-o", "jsonpath={.status.podIP}"); got != pseudo[podIP] {
		t.Errorf("the served pod's IP is %q, want %s's pseudonym %s", got, podIP, pseudo[podIP])
	}
}

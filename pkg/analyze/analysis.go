package analyze

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/must-gather/toolkit/pkg/steps"
)

// analysis is the state of one run over a bundle: the findings made as
// objects are read, and what the checks that span objects (webhooks and
// their services, events, certificates) collect until the end.
type analysis struct {
	o        Options
	report   Report
	bundles  map[string]*Bundle
	findings []Finding
	seen     map[string]bool // group/resource/namespace/name already read

	webhooks  []webhookRef
	services  map[string]string // namespace/name -> file
	endpoints map[string]bool   // namespace/name -> has a ready address
	gathered  map[string]bool   // namespaces whose services were gathered
	events    map[string]*eventGroup
	certs     map[string]*certUse
}

func newAnalysis(o Options) *analysis {
	return &analysis{
		o: o, bundles: map[string]*Bundle{}, seen: map[string]bool{},
		services: map[string]string{}, endpoints: map[string]bool{}, gathered: map[string]bool{},
		events: map[string]*eventGroup{}, certs: map[string]*certUse{},
	}
}

func (a *analysis) errorf(format string, args ...any) {
	a.report.Errors = append(a.report.Errors, fmt.Sprintf(format, args...))
}

func (a *analysis) add(f Finding) { a.findings = append(a.findings, f) }

// bundle returns the summary of the bundle at root, made on first use.
func (a *analysis) bundle(root string) *Bundle {
	b := a.bundles[root]
	if b == nil {
		b = &Bundle{Path: root}
		a.bundles[root] = b
	}
	return b
}

// manifestOptions are the fields of the gather's options the page shows.
type manifestOptions struct {
	Product        string `json:"product"`
	ProductVersion string `json:"productVersion"`
	Cluster        string `json:"cluster"`
	ServerVersion  string `json:"serverVersion"`
}

func (b *Bundle) setManifest(m *steps.Manifest) {
	var mo manifestOptions
	if raw, err := json.Marshal(m.Options); err == nil {
		_ = json.Unmarshal(raw, &mo) // options of another shape: fields stay empty
	}
	b.Product, b.ProductVersion, b.Cluster, b.ServerVersion = mo.Product, mo.ProductVersion, mo.Cluster, mo.ServerVersion
	b.Tool = strings.TrimSpace(m.Tool.Product + " " + m.Tool.Version)
	b.Status, b.StopReason, b.Steps = m.Status, m.StopReason, m.Steps
	start := m.Start
	b.Start, b.End = &start, m.End
}

// object hands one decoded object of file p to the checks.
func (a *analysis) object(p string, r resource, raw json.RawMessage) error {
	var meta struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return err
	}
	ns := cmp.Or(meta.Metadata.Namespace, r.Namespace)
	key := r.Group + "/" + r.Resource + "/" + ns + "/" + meta.Metadata.Name
	if a.seen[key] {
		return nil
	}
	a.seen[key] = true
	b := a.bundle(r.Root)
	switch r.Group + "/" + r.Resource {
	case "core/namespaces":
		b.Namespaces++
	case "core/nodes":
		var n corev1.Node
		if err := json.Unmarshal(raw, &n); err != nil {
			return err
		}
		b.Nodes++
		if a.checkNode(p, &n) {
			b.NodesReady++
		}
	case "core/pods":
		var pod corev1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			return err
		}
		b.Pods++
		a.checkPod(p, &pod)
	case "apps/deployments":
		var d appsv1.Deployment
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		a.checkDeployment(p, &d)
	case "apps/daemonsets":
		var d appsv1.DaemonSet
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		a.checkDaemonSet(p, &d)
	case "core/persistentvolumeclaims":
		var c corev1.PersistentVolumeClaim
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		a.checkPVC(p, &c)
	case "config.openshift.io/clusteroperators":
		var co clusterOperator
		if err := json.Unmarshal(raw, &co); err != nil {
			return err
		}
		a.checkClusterOperator(p, &co)
	case "admissionregistration.k8s.io/validatingwebhookconfigurations", "admissionregistration.k8s.io/mutatingwebhookconfigurations":
		return a.readWebhooks(p, r, raw)
	case "core/services":
		a.gathered[ns] = true
		a.services[ns+"/"+meta.Metadata.Name] = p
	case "core/endpoints":
		var e corev1.Endpoints
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		for _, s := range e.Subsets {
			if len(s.Addresses) > 0 {
				a.endpoints[ns+"/"+e.Name] = true
			}
		}
	case "discovery.k8s.io/endpointslices":
		var s discoveryv1.EndpointSlice
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		svc := s.Labels[discoveryv1.LabelServiceName]
		for _, e := range s.Endpoints {
			if svc != "" && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
				a.endpoints[ns+"/"+svc] = true
			}
		}
	case "core/secrets":
		var s corev1.Secret
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(s.Data)) {
			if k == "tls.crt" || k == "ca.crt" || k == "service-ca.crt" {
				a.readCerts(p, Object{Kind: "Secret", Namespace: ns, Name: s.Name}, k, s.Data[k])
			}
		}
	case "core/configmaps":
		var c corev1.ConfigMap
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(c.Data)) {
			if strings.HasSuffix(k, ".crt") || strings.HasSuffix(k, ".pem") {
				a.readCerts(p, Object{Kind: "ConfigMap", Namespace: ns, Name: c.Name}, k, []byte(c.Data[k]))
			}
		}
	case "core/events":
		var e corev1.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		a.addEvent(p, &e)
	}
	return nil
}

// finish runs the checks that need every object and builds the report.
func (a *analysis) finish() *Report {
	a.checkWebhooks()
	a.rankEvents()
	a.checkCerts(a.asOf())
	for _, root := range slices.Sorted(maps.Keys(a.bundles)) {
		b := a.bundles[root]
		a.checkSteps(b)
		a.report.Bundles = append(a.report.Bundles, *b)
	}
	sortFindings(a.findings)
	a.report.Findings = a.findings
	if a.report.Findings == nil {
		a.report.Findings = []Finding{}
	}
	a.report.Counts = map[string]int{string(Critical): 0, string(Warning): 0, string(Info): 0}
	for _, f := range a.findings {
		a.report.Counts[string(f.Severity)]++
	}
	a.report.AsOf = a.asOf().UTC()
	return &a.report
}

// asOf is when the bundle was gathered: the latest end a manifest records,
// else the time of the analysis.
func (a *analysis) asOf() time.Time {
	var t time.Time
	for _, b := range a.bundles {
		if b.End != nil && b.End.After(t) {
			t = *b.End
		}
	}
	if t.IsZero() {
		return a.o.Now
	}
	return t
}

// maxCutsNamed is how many cuts a gather-cut finding spells out.
const maxCutsNamed = 5

// checkSteps reports the steps of the gather that did not succeed, and the
// logs each step's size limits cut or left out.
func (a *analysis) checkSteps(b *Bundle) {
	manifest := path.Join(b.Path, steps.ManifestFile)
	for _, s := range b.Steps {
		if len(s.Cuts) > 0 {
			f := Finding{
				Severity: Info, Check: "gather-cut", Count: len(s.Cuts),
				Title:   fmt.Sprintf("gather step %s cut or left out %d container logs to fit its size limits", s.Name, len(s.Cuts)),
				Objects: []Object{}, Files: []string{manifest},
			}
			var named []string
			for i, c := range s.Cuts {
				if i == maxCutsNamed {
					named = append(named, fmt.Sprintf("and %d more (%s)", len(s.Cuts)-i, steps.ManifestFile))
					break
				}
				named = append(named, c.String())
				if c.KeptBytes > 0 {
					f.Files = append(f.Files, path.Join(b.Path, c.Path))
				}
			}
			f.Message = strings.Join(named, "; ")
			a.add(f)
		}
		if s.Status == steps.StatusOK {
			continue
		}
		sev := Warning
		if b.Status == steps.RunFailed {
			sev = Critical
		}
		a.add(Finding{
			Severity: sev, Check: "gather-step",
			Title:   fmt.Sprintf("gather step %s %s: %s", s.Name, s.Status, s.Command),
			Message: s.Error,
			Objects: []Object{}, Files: []string{manifest},
		})
	}
}

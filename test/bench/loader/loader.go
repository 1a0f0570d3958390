package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/must-gather/toolkit/test/bench"
	"github.com/must-gather/toolkit/test/clusterinfo"
)

type options struct {
	kubeconfig string
	profile    string
	sizes      bench.Profile // -1: the profile's
	set        string
	del        bool
	parallel   int
	qps        float32
	node       string
	clusterDir string
	logImage   string
	wait       time.Duration
	sim        simOptions
}

func (o *options) parse(args []string) error {
	fs := pflag.NewFlagSet("loader", pflag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&o.profile, "profile", "small", "sizes to load: "+strings.Join(bench.ProfileNames(), ", "))
	for _, f := range []struct {
		p    *int
		name string
	}{
		{&o.sizes.Namespaces, "namespaces"}, {&o.sizes.ConfigMaps, "configmaps"}, {&o.sizes.ConfigMapBytes, "configmap-bytes"},
		{&o.sizes.Secrets, "secrets"}, {&o.sizes.Services, "services"}, {&o.sizes.Deployments, "deployments"},
		{&o.sizes.CustomResources, "custom-resources"}, {&o.sizes.Events, "events"}, {&o.sizes.Pods, "pods"},
		{&o.sizes.LogBytes, "log-bytes"}, {&o.sizes.RestartedPods, "restarted-pods"},
		{&o.sizes.SimulatedNodes, "simulated-nodes"}, {&o.sizes.SimulatedPods, "simulated-pods"},
	} {
		fs.IntVar(f.p, f.name, -1, "override the profile's number of "+strings.ReplaceAll(f.name, "-", " "))
	}
	fs.StringVar(&o.set, "set", string(bench.DefaultSet), "prefix of the names, and the value of the label bench.must-gather.io/loader, of this load")
	fs.BoolVar(&o.del, "delete", false, "remove everything the loader made (and wait until it is gone)")
	fs.IntVar(&o.parallel, "parallel", 16, "creates in flight")
	fs.Float32Var(&o.qps, "qps", 200, "client rate limit")
	fs.StringVar(&o.node, "node", "", "the real node the pods run on (default: the node of the harness's record in --cluster-dir)")
	fs.StringVar(&o.clusterDir, "cluster-dir", "", "the test cluster's state directory, whose record (cluster.json) names the node")
	fs.StringVar(&o.logImage, "log-image", "", "image of the pods: test/bench/logwriter at /usr/bin/logwriter (required with pods)")
	fs.DurationVar(&o.wait, "wait", 10*time.Minute, "how long to wait for the pods (and, with --delete, for the namespaces to go)")
	o.sim.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// effective is the profile with the flags' overrides.
func (o *options) effective() (bench.Profile, error) {
	p, err := bench.LookupProfile(o.profile)
	if err != nil {
		return p, err
	}
	override := func(dst *int, v int) {
		if v >= 0 {
			*dst = v
		}
	}
	s := o.sizes
	override(&p.Namespaces, s.Namespaces)
	override(&p.ConfigMaps, s.ConfigMaps)
	override(&p.ConfigMapBytes, s.ConfigMapBytes)
	override(&p.Secrets, s.Secrets)
	override(&p.Services, s.Services)
	override(&p.Deployments, s.Deployments)
	override(&p.CustomResources, s.CustomResources)
	override(&p.Events, s.Events)
	override(&p.Pods, s.Pods)
	override(&p.LogBytes, s.LogBytes)
	override(&p.RestartedPods, s.RestartedPods)
	override(&p.SimulatedNodes, s.SimulatedNodes)
	override(&p.SimulatedPods, s.SimulatedPods)
	var errs []error
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p.Pods > 0 && (o.node == "" || o.logImage == "") {
		errs = append(errs, errors.New("pods need --node (or --cluster-dir of a cluster with a node) and --log-image"))
	}
	if o.parallel < 1 {
		errs = append(errs, errors.New("--parallel must be at least 1"))
	}
	return p, errors.Join(errs...)
}

// Loaded is what the loader prints: the profile as loaded, and the
// namespaces to give the tools.
type Loaded struct {
	Profile    bench.Profile `json:"profile"`
	Namespaces []string      `json:"namespaces"`
	Created    int64         `json:"created"`
	Existing   int64         `json:"existing"`
	Seconds    float64       `json:"seconds"`
}

func run(ctx context.Context, args []string) error {
	var o options
	if err := o.parse(args); err != nil {
		return err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = o.qps, int(2*o.qps)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	l := &loader{set: bench.Set(o.set), kube: kube, dyn: dyn, log: os.Stderr, parallel: o.parallel, node: o.node, image: o.logImage}
	if o.del {
		return l.remove(ctx, o.wait)
	}
	maxPods := 0
	if o.clusterDir != "" {
		info, err := clusterinfo.Read(o.clusterDir)
		if err != nil {
			return fmt.Errorf("reading the harness's record: %w", err)
		}
		if n := info.Node; n != nil {
			if o.node == "" {
				o.node, l.node = n.Name, n.Name
			}
			if o.sim.sinkCIDR == "" {
				o.sim.sinkCIDR = n.SimCIDR
			}
			maxPods = n.MaxPods
		}
	}
	p, err := o.effective()
	if err != nil {
		return err
	}
	// Room for the cluster's own pods and other tests' on the one node.
	if maxPods > 0 && p.Pods > maxPods-podsHeadroom {
		return fmt.Errorf("%d pods do not fit on the node: its kubelet's maxPods is %d, and %d are kept for others", p.Pods, maxPods, podsHeadroom)
	}
	l.p = p
	if o.sim.printKwokArgs {
		if p.SimulatedNodes == 0 {
			return nil // no simulated node: no kwok
		}
		if err := o.sim.check(ctx, p); err != nil {
			return err
		}
		args, err := o.sim.kwokArgs(p)
		if err != nil {
			return err
		}
		_, err = fmt.Println(strings.Join(args, " "))
		return err
	}
	start := time.Now()
	if err := l.load(ctx, o.sim); err != nil {
		return err
	}
	if err := l.waitForPods(ctx, o.wait); err != nil {
		return err
	}
	out := Loaded{Profile: p, Created: l.created.Load(), Existing: l.existing.Load(), Seconds: time.Since(start).Seconds()}
	for i := range p.Namespaces {
		out.Namespaces = append(out.Namespaces, l.set.Namespace(i))
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// podsHeadroom is how many of the node's maxPods the loader leaves to
// others.
const podsHeadroom = 20

type loader struct {
	set      bench.Set
	kube     kubernetes.Interface
	dyn      dynamic.Interface
	log      io.Writer
	parallel int
	p        bench.Profile
	node     string
	image    string

	created, existing atomic.Int64
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
var widgetGVR = schema.GroupVersionResource{Group: bench.CRDGroup, Version: bench.CRDVersion, Resource: bench.CRDResource}

func loaderLabels(set bench.Set, extra map[string]string) map[string]string {
	l := map[string]string{bench.LoaderLabel: string(set)}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// created counts a create; an object that exists already is kept as it is.
func (l *loader) count(what string, err error) error {
	switch {
	case err == nil:
		l.created.Add(1)
		return nil
	case apierrors.IsAlreadyExists(err):
		l.existing.Add(1)
		return nil
	}
	return fmt.Errorf("creating %s: %w", what, err)
}

// load creates what is missing: the CRD, the namespaces and what is in
// them, then the simulated nodes and their pods.
func (l *loader) load(ctx context.Context, sim simOptions) error {
	p := l.p
	if p.SimulatedNodes > 0 {
		// Before anything is created: a simulated node's address must lead
		// into the harness's sink.
		if err := sim.check(ctx, p); err != nil {
			return err
		}
	}
	if err := l.checkNamespaces(ctx); err != nil {
		return err
	}
	if p.CustomResources > 0 {
		if err := l.installCRD(ctx); err != nil {
			return err
		}
	}
	var errs []error
	var mu sync.Mutex
	work := make(chan func() error)
	var wg sync.WaitGroup
	for range l.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fn := range work {
				if err := fn(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	send := func(fn func() error) bool {
		select {
		case work <- fn:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i := range p.Namespaces {
		ns := l.set.Namespace(i)
		if err := l.count("namespace "+ns, l.createNamespace(ctx, ns, bench.RoleGathered)); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, fn := range l.namespaceWork(ctx, i) {
			if !send(fn) {
				break
			}
		}
		if i%10 == 9 {
			fmt.Fprintf(l.log, "loader: %d/%d namespaces sent (%d created, %d existed)\n", i+1, p.Namespaces, l.created.Load(), l.existing.Load())
		}
	}
	for k := range p.SimNamespaces() {
		ns := l.set.SimNamespace(k)
		if err := l.count("namespace "+ns, l.createNamespace(ctx, ns, bench.RoleSimulated)); err != nil {
			errs = append(errs, err)
		}
	}
	for _, fn := range l.simWork(ctx, sim) {
		if !send(fn) {
			break
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("and %d more errors", len(errs)-10))
	}
	return errors.Join(errs...)
}

// checkNamespaces refuses to load over namespaces another profile loaded:
// the measurement would mix both.
func (l *loader) checkNamespaces(ctx context.Context) error {
	list, err := l.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: l.set.Selector()})
	if err != nil {
		return fmt.Errorf("listing the loader's namespaces: %w", err)
	}
	for _, ns := range list.Items {
		if got := ns.Labels[bench.ProfileLabel]; got != fingerprint(l.p) {
			return fmt.Errorf("namespace %s was loaded with other sizes (%s, now %s): run the loader with --delete first", ns.Name, got, fingerprint(l.p))
		}
	}
	return nil
}

// fingerprint names the sizes of p in a label value: a profile with other
// sizes is another load.
func fingerprint(p bench.Profile) string {
	b, _ := json.Marshal(p)
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return fmt.Sprintf("%s-%08x", p.Name, h)
}

func (l *loader) createNamespace(ctx context.Context, name, role string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: loaderLabels(l.set, map[string]string{bench.RoleLabel: role, bench.ProfileLabel: fingerprint(l.p)})}}
	_, err := l.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	return err
}

// installCRD creates the Widget CRD and waits until it is served.
func (l *loader) installCRD(ctx context.Context) error {
	name := bench.CRDResource + "." + bench.CRDGroup
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name, "labels": map[string]any{bench.LoaderLabel: string(l.set)}},
		"spec": map[string]any{
			"group": bench.CRDGroup, "scope": "Namespaced",
			"names": map[string]any{"plural": bench.CRDResource, "singular": "widget", "kind": bench.CRDKind, "listKind": bench.CRDKind + "List"},
			"versions": []any{map[string]any{
				"name": bench.CRDVersion, "served": true, "storage": true,
				"subresources": map[string]any{"status": map[string]any{}},
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"spec":   map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
						"status": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
					},
				}},
			}},
		},
	}}
	_, err := l.dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{})
	if err := l.count("CRD "+name, err); err != nil {
		return err
	}
	// The first create right after Established can still be refused for a
	// moment: wait until a list of the type works.
	return wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := l.dyn.Resource(widgetGVR).Namespace("default").List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
}

// namespaceWork is the creates of the i-th gathered namespace.
func (l *loader) namespaceWork(ctx context.Context, i int) []func() error {
	p, ns := l.p, l.set.Namespace(i)
	rnd := rand.New(rand.NewPCG(uint64(i), 13))
	var work []func() error
	for j := range bench.Share(p.ConfigMaps, p.Namespaces, i) {
		cm := configMap(l.set, ns, j, p.ConfigMapBytes, rnd)
		work = append(work, func() error {
			_, err := l.kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
			return l.count("configmap "+ns+"/"+cm.Name, err)
		})
	}
	for j := range bench.Share(p.Secrets, p.Namespaces, i) {
		s := secret(l.set, ns, j, rnd)
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
			return l.count("secret "+ns+"/"+s.Name, err)
		})
	}
	for j := range bench.Share(p.Services, p.Namespaces, i) {
		s := service(l.set, ns, j)
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
			return l.count("service "+ns+"/"+s.Name, err)
		})
	}
	for j := range bench.Share(p.Deployments, p.Namespaces, i) {
		d := deployment(l.set, ns, j)
		work = append(work, func() error {
			_, err := l.kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
			return l.count("deployment "+ns+"/"+d.Name, err)
		})
	}
	for j := range bench.Share(p.CustomResources, p.Namespaces, i) {
		w := widget(l.set, ns, j, rnd)
		work = append(work, func() error {
			_, err := l.dyn.Resource(widgetGVR).Namespace(ns).Create(ctx, w, metav1.CreateOptions{})
			return l.count("widget "+ns+"/"+w.GetName(), err)
		})
	}
	for j := range bench.Share(p.Events, p.Namespaces, i) {
		e := event(l.set, ns, j)
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{})
			return l.count("event "+ns+"/"+e.Name, err)
		})
	}
	// The g-th pod overall, so the restarted ones spread over namespaces.
	first := 0
	for k := range i {
		first += bench.Share(p.Pods, p.Namespaces, k)
	}
	for j := range bench.Share(p.Pods, p.Namespaces, i) {
		pod := logPod(l.set, ns, j, l.node, l.image, p.LogBytes, bench.Restarted(first+j, p.RestartedPods, p.Pods))
		work = append(work, func() error {
			_, err := l.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			return l.count("pod "+ns+"/"+pod.Name, err)
		})
	}
	return work
}

// waitForPods waits until every pod of the gathered namespaces runs, and
// every restarted one has restarted and runs again.
func (l *loader) waitForPods(ctx context.Context, timeout time.Duration) error {
	if l.p.Pods == 0 {
		return nil
	}
	fmt.Fprintf(l.log, "loader: waiting for %d pods (%d of them to restart once)\n", l.p.Pods, l.p.RestartedPods)
	var last string
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		ready, pending := 0, 0
		for i := range l.p.Namespaces {
			pods, err := l.kube.CoreV1().Pods(l.set.Namespace(i)).List(ctx, metav1.ListOptions{LabelSelector: l.set.Selector()})
			if err != nil {
				return false, fmt.Errorf("listing pods of %s: %w", l.set.Namespace(i), err)
			}
			for _, pod := range pods.Items {
				if podDone(&pod) {
					ready++
				} else {
					pending++
				}
			}
		}
		last = fmt.Sprintf("%d of %d pods ready, %d not yet", ready, l.p.Pods, pending)
		return ready >= l.p.Pods, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the pods (%s): %w", last, err)
	}
	return nil
}

// podDone: running, and restarted once when it is to restart.
func podDone(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning || len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false
		}
		if pod.Annotations[restartAnnotation] == "true" && s.RestartCount < 1 {
			return false
		}
	}
	return true
}

// remove deletes everything of the set: namespaces (and all in them) and
// simulated nodes, waits until they are gone, then deletes the CRD unless
// another set still has namespaces.
func (l *loader) remove(ctx context.Context, timeout time.Duration) error {
	sel := metav1.ListOptions{LabelSelector: l.set.Selector()}
	nss, err := l.kube.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing the loader's namespaces: %w", err)
	}
	var errs []error
	for _, ns := range nss.Items {
		if err := l.kube.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting namespace %s: %w", ns.Name, err))
		}
	}
	if err := l.kube.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		errs = append(errs, fmt.Errorf("deleting the simulated nodes: %w", err))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintf(l.log, "loader: deleting %d namespaces of %s; waiting until they are gone\n", len(nss.Items), l.set)
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		left, err := l.kube.CoreV1().Namespaces().List(ctx, sel)
		if err != nil {
			return false, err
		}
		nodes, err := l.kube.CoreV1().Nodes().List(ctx, sel)
		if err != nil {
			return false, err
		}
		return len(left.Items) == 0 && len(nodes.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the namespaces of %s to go: %w", l.set, err)
	}
	others, err := l.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: bench.LoaderLabel, Limit: 1})
	if err != nil {
		return fmt.Errorf("listing other loads: %w", err)
	}
	if len(others.Items) > 0 {
		return nil // their widgets need the CRD
	}
	err = l.dyn.Resource(crdGVR).Delete(ctx, bench.CRDResource+"."+bench.CRDGroup, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the CRD: %w", err)
	}
	return nil
}

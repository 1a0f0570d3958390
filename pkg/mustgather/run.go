package mustgather

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/tempns"
)

// serviceAccount is the gather pods' service account in the run's
// namespace.
const serviceAccount = "must-gather"

// clusterRole is what the gather pods are bound to, as oc binds them: the
// least-privilege role for our own image is a later increment.
const clusterRole = "cluster-admin"

// cleanupTimeout bounds the deletion of what a run made, with a context of
// its own (the run's may be done: timeout, Ctrl-C).
const cleanupTimeout = 30 * time.Second

// afterInterrupt bounds the copy after Ctrl-C.
const afterInterrupt = time.Minute

// run is one client run.
type run struct {
	o       *Options
	streams cli.IOStreams
	cs      kubernetes.Interface
	pods    pods.Client
	id      string
	ns      string
	ownNS   bool       // the run made the namespace (not --run-namespace)
	sa      string     // the gather pods' service account
	created []string   // the gather pods made (deleted at the end with --run-namespace)
	nodes   []string   // the nodes a gather pod may run on (none: any)
	log     io.Writer  // stderr and must-gather.logs, redacted
	mu      sync.Mutex // guards log writes and created
}

func (r *run) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.log, "[must-gather] "+format+"\n", args...)
}

// imageResult is what became of one image.
type imageResult struct {
	image, pod, folder string
	err                error // the gather's failure, or the copy's
	copied             bool  // some data came back
}

// Run runs the images and copies their results into DestDir. Its error
// chooses the exit code: nil when every image gathered, a cli.PartialError
// when some data came back, a plain error when nothing did.
func (o *Options) Run(ctx context.Context, streams cli.IOStreams) error {
	start := o.Now()
	deadline := start.Add(o.Timeout)
	if err := os.MkdirAll(o.DestDir, 0o750); err != nil {
		return fmt.Errorf("creating the destination: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(o.DestDir, clientLogFile), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("creating the client log: %w", err)
	}
	fileLog := cli.RedactedWriter(logFile)
	defer func() {
		_ = fileLog.Close()
		_ = logFile.Close()
	}()
	if err := writeTimestamp(o.DestDir, start, time.Time{}); err != nil {
		return err
	}
	r := &run{o: o, streams: streams, id: tempns.NewRunID(), log: io.MultiWriter(streams.ErrOut, fileLog)}
	err = r.run(ctx, deadline)
	// One page of the events every image gathered, as oc writes it.
	if werr := writeEventFilter(o.DestDir); werr != nil {
		r.logf("warning: %v", werr)
	}
	if terr := writeTimestamp(o.DestDir, start, o.Now()); terr != nil {
		err = errors.Join(err, terr)
	}
	if err != nil {
		// stderr gets it from cli.Run.
		fmt.Fprintf(fileLog, "error: %v\n", err)
	}
	fmt.Fprintln(streams.Out, o.DestDir)
	return err
}

func (r *run) run(ctx context.Context, deadline time.Time) (err error) {
	o := r.o
	cfg, err := o.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	r.cs, r.pods = cs, pods.Client{CS: cs, Config: cfg}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	// A summary of the cluster to paste into a support case, at the start
	// and at the end (the cluster may have changed meanwhile).
	openshift := servesClusterOperators(cfg)
	r.printSummary(ctx, cs, dyn, openshift, "at the start")
	if o.NodeName == "" {
		nodes, nerr := candidates(ctx, cs)
		r.nodes = nodes
		if nerr != nil {
			r.logf("warning: the scheduler chooses the node: reading nodes: %v", nerr)
		} else if len(nodes) == 0 {
			r.logf("warning: no node is Ready and schedulable: the scheduler chooses")
		}
	}
	defer r.printSummary(context.WithoutCancel(ctx), cs, dyn, openshift, "at the end")

	// The gather phase ends at the deadline less the copy's margin, or at
	// Ctrl-C; the copy goes on after Ctrl-C, within the deadline.
	gatherCtx, cancel := context.WithDeadline(ctx, deadline.Add(-copyMargin(o.Timeout)))
	defer cancel()
	copyCtx, cancelCopy := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancelCopy()

	tempns.SweepExpired(gatherCtx, cs, r.logf)
	var ns *corev1.Namespace
	if o.RunNamespace != "" {
		// A namespace of the user's: the run makes and removes only its
		// own service account, binding and pods there.
		if ns, err = cs.CoreV1().Namespaces().Get(gatherCtx, o.RunNamespace, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("--run-namespace %s: %w", o.RunNamespace, err)
		}
		r.ns = ns.Name
		r.logf("running in namespace %s (--run-namespace); this run is labelled %s=%s", r.ns, tempns.RunLabel, r.id)
	} else {
		if ns, err = tempns.Create(gatherCtx, cs, "must-gather-", r.id, deadline.Add(time.Minute)); err != nil {
			return fmt.Errorf("creating the run's namespace: %w", err)
		}
		r.ns, r.ownNS = ns.Name, true
		r.logf("namespace %s, labelled %s=%s", r.ns, tempns.RunLabel, r.id)
	}
	defer func() {
		if o.Keep {
			if r.ownNS {
				r.logf("kept namespace %s (--keep): delete it with kubectl delete ns %s", r.ns, r.ns)
			} else {
				pods := strings.Join(r.created, " ")
				r.logf("kept pods %s and service account %s in namespace %s (--keep): delete them with kubectl delete -n %s pod %s; kubectl delete -n %s serviceaccount %s; kubectl delete clusterrolebinding -l %s=%s",
					pods, r.sa, r.ns, r.ns, pods, r.ns, r.sa, tempns.RunLabel, r.id)
			}
			return
		}
		if cerr := r.cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if err := r.grant(gatherCtx, ns); err != nil {
		return err
	}

	results := make([]imageResult, len(o.Images))
	var wg sync.WaitGroup
	for i, image := range o.Images {
		wg.Go(func() { results[i] = r.gatherImage(gatherCtx, copyCtx, ctx, image) })
	}
	wg.Wait()
	err = summarize(results)
	if err == nil || anyCopied(results) || ctx.Err() != nil {
		return err
	}
	// No pod could run (or none brought anything back), and nobody asked
	// to stop: gather what needs no pod, from here.
	return r.fallback(copyCtx, cfg, openshift, err)
}

// printSummary logs the cluster's summary, within summaryTimeout.
func (r *run) printSummary(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, openshift bool, when string) {
	ctx, cancel := context.WithTimeout(ctx, summaryTimeout)
	defer cancel()
	r.logf("cluster summary %s:", when)
	for _, l := range summary(ctx, cs, dyn, openshift) {
		r.logf("  %s", l)
	}
}

// summaryTimeout bounds the reads of a cluster summary.
const summaryTimeout = 15 * time.Second

func anyCopied(results []imageResult) bool {
	for _, res := range results {
		if res.copied {
			return true
		}
	}
	return false
}

// grant makes the service account of the gather pods and binds it to
// clusterRole. The binding is owned by the namespace, so it goes with it.
func (r *run) grant(ctx context.Context, ns *corev1.Namespace) error {
	meta := metav1.ObjectMeta{Name: serviceAccount, Namespace: r.ns, Labels: map[string]string{tempns.RunLabel: r.id}}
	if !r.ownNS {
		meta.Name, meta.GenerateName = "", serviceAccount+"-" // beside the user's own
	}
	sa, err := r.cs.CoreV1().ServiceAccounts(r.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating a service account in %s: %w", r.ns, err)
	}
	r.sa = sa.Name
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "must-gather-",
			Labels:       map[string]string{tempns.RunLabel: r.id},
		},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.sa, Namespace: r.ns}},
	}
	if r.ownNS {
		// It goes with the namespace, even when the client is killed.
		crb.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: ns.Name, UID: ns.UID}}
	}
	got, err := r.cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("binding %s/%s to cluster role %s: %w", r.ns, r.sa, clusterRole, err)
	}
	r.logf("service account %s/%s bound to cluster role %s (%s)", r.ns, r.sa, clusterRole, got.Name)
	return nil
}

// cleanup deletes the run's binding and namespace (its pods go with it),
// with a context of its own: the run's may be done.
func (r *run) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	if err := r.cs.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + r.id}); err != nil {
		errs = append(errs, fmt.Errorf("deleting the run's cluster role binding: %w", err))
	}
	if !r.ownNS {
		r.mu.Lock()
		created := slices.Clone(r.created)
		r.mu.Unlock()
		for _, p := range created {
			if err := r.pods.Delete(ctx, r.ns, p); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting pod %s/%s: %w", r.ns, p, err))
			}
		}
		if r.sa != "" {
			if err := r.cs.CoreV1().ServiceAccounts(r.ns).Delete(ctx, r.sa, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting service account %s/%s: %w", r.ns, r.sa, err))
			}
		}
		r.logf("deleted this run's pods, service account and binding in namespace %s", r.ns)
		return errors.Join(errs...)
	}
	if err := r.cs.CoreV1().Namespaces().Delete(ctx, r.ns, metav1.DeleteOptions{}); err != nil {
		errs = append(errs, fmt.Errorf("deleting namespace %s: %w", r.ns, err))
	} else {
		r.logf("deleted namespace %s", r.ns)
	}
	return errors.Join(errs...)
}

// gatherImage runs one image's pod: it waits for it, streams its gather
// log, waits for the gather to end and copies its result back.
func (r *run) gatherImage(gatherCtx, copyCtx, runCtx context.Context, image string) imageResult {
	res := imageResult{image: image}
	pod := r.o.gatherPod(r.ns, r.sa, image)
	if r.o.NodeName == "" {
		onNodes(pod, r.nodes)
	}
	created, refused, err := r.pods.CreatePreferring(gatherCtx, pod, gatherPriority)
	if err != nil {
		res.err = fmt.Errorf("creating the pod of %s: %w", image, err)
		return res
	}
	r.mu.Lock()
	r.created = append(r.created, created.Name)
	r.mu.Unlock()
	if refused != nil {
		r.logf("pod %s goes without priority class %s: %v", created.Name, gatherPriority, refused)
	}
	res.pod = created.Name
	r.logf("pod %s runs %s", res.pod, image)
	running, err := r.pods.Wait(gatherCtx, r.ns, res.pod, pods.Running)
	if err != nil {
		res.err = fmt.Errorf("pod %s of %s did not start: %w", res.pod, image, err)
		return res
	}
	res.folder = ImageFolder(imageID(running, image))
	dir := filepath.Join(r.o.DestDir, res.folder)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		res.err = fmt.Errorf("creating %s: %w", dir, err)
		return res
	}

	logDone := make(chan error, 1)
	go func() { logDone <- r.streamLog(gatherCtx, res.pod, filepath.Join(dir, gatherLogFile)) }()
	ended, gatherErr := r.pods.Wait(gatherCtx, r.ns, res.pod, pods.ContainerEnded(gatherContainer))
	logErr := <-logDone
	switch {
	case gatherErr != nil && runCtx.Err() != nil:
		res.err = fmt.Errorf("gather of %s interrupted: %w", image, runCtx.Err())
	case gatherErr != nil:
		res.err = fmt.Errorf("gather of %s: %w", image, gatherErr)
	default:
		if code := exitCode(ended); code != 0 {
			res.err = fmt.Errorf("gather of %s exited with code %d", image, code)
		}
	}
	if logErr != nil && gatherErr == nil {
		r.logf("log of pod %s: %v", res.pod, logErr)
	}

	cctx := copyCtx
	if runCtx.Err() != nil {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(copyCtx, afterInterrupt)
		defer cancel()
	}
	r.logf("copying %s from pod %s into %s", r.o.SourceDir, res.pod, dir)
	in := pods.Container{Namespace: r.ns, Pod: res.pod, Name: copyContainer}
	copyErr := r.pods.CopyWith(cctx, in, r.o.tarCommand(image), dir)
	res.copied = hasData(dir)
	if copyErr != nil {
		res.err = errors.Join(res.err, fmt.Errorf("copying the result of %s: %w", image, copyErr))
	}
	return res
}

// imageID is the image ID of the pod's gather container, else image.
func imageID(p *corev1.Pod, image string) string {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == gatherContainer && s.ImageID != "" {
			return s.ImageID
		}
	}
	return image
}

func exitCode(p *corev1.Pod) int32 {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == gatherContainer && s.State.Terminated != nil {
			return s.State.Terminated.ExitCode
		}
	}
	return -1
}

// summarize turns the images' results into the run's error.
func summarize(results []imageResult) error {
	var errs []error
	copied := false
	for _, res := range results {
		if res.err != nil {
			errs = append(errs, res.err)
		}
		copied = copied || res.copied
	}
	switch {
	case len(errs) == 0 && copied:
		return nil
	case len(errs) == 0:
		return errors.New("no image gathered anything")
	case copied:
		return cli.PartialError{Err: errors.Join(errs...)}
	}
	return fmt.Errorf("nothing gathered: %w", errors.Join(errs...))
}

// writeEventFilter writes event-filter.html at the destination over the
// events of every image's result (self-contained, as gather's own).
func writeEventFilter(dest string) error {
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		return err
	}
	return inspect.WriteEventFilterOf(sink, "*/"+inspect.EventsGlob)
}

// writeTimestamp writes the timestamp file: the start line, and the end
// line once there is one. It replaces the file atomically.
func writeTimestamp(dest string, start, end time.Time) error {
	content := start.Round(0).String() + "\n"
	if !end.IsZero() {
		content += end.Round(0).String() + "\n"
	}
	tmp, err := os.CreateTemp(dest, ".timestamp-*")
	if err != nil {
		return fmt.Errorf("writing the timestamp: %w", err)
	}
	_, werr := tmp.WriteString(content)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o640)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing the timestamp: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dest, timestampFile)); err != nil {
		return fmt.Errorf("writing the timestamp: %w", err)
	}
	return nil
}

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

	"github.com/must-gather/toolkit/pkg/analyze"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/inspect"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/tempns"
)

// serviceAccount is the gather pods' service account in the run's
// namespace.
const serviceAccount = "must-gather"

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
	ownNS   bool                    // the run makes the namespace (not --run-namespace)
	expires time.Time               // when nothing of the run can be alive any more
	sa      string                  // the gather pods' service account
	saOwner []metav1.OwnerReference // with --run-namespace: the service account owns the run's pods and role binding
	created []string                // the gather pods made (deleted at the end with --run-namespace)
	nodes   []string                // the nodes a gather pod may run on (none: any)
	log     io.Writer               // stderr and must-gather.logs, redacted
	mu      sync.Mutex              // guards log writes and created
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
	r := &run{o: o, streams: streams, id: tempns.NewRunID(), log: io.MultiWriter(streams.ErrOut, fileLog),
		expires: deadline.Add(time.Minute)}
	// client-go's own lines (klog, -v) go where the client's go, redacted.
	level, err := o.setVerbosity(r.log)
	if err != nil {
		return fmt.Errorf("setting -v: %w", err)
	}
	defer func() { _, _ = o.setVerbosity(streams.ErrOut) }()
	if level < o.Verbosity {
		r.logf("-v %d: using %d (higher levels log response bodies, which may hold Secret values)", o.Verbosity, level)
	}
	err = r.run(ctx, deadline)
	// One page of the events every image gathered, as oc writes it.
	if werr := writeEventFilter(o.DestDir, o.NodeSelector != ""); werr != nil {
		r.logf("warning: %v", werr)
	}
	// The findings and the overview page over every image's result.
	if _, aerr := analyze.WriteDir(context.WithoutCancel(ctx), o.DestDir); aerr != nil {
		r.logf("warning: analyze: %v", aerr)
	}
	if terr := writeTimestamp(o.DestDir, start, o.Now()); terr != nil {
		err = errors.Join(err, terr)
	}
	if o.Archive {
		// Last: the archive holds every file of the folder, those written
		// after the copy too. After Ctrl-C it is still written; a second
		// one stops it (and leaves no part).
		if aerr := r.archive(cli.Abort(ctx)); aerr != nil {
			err = errors.Join(err, aerr)
			if !errors.As(err, new(cli.PartialError)) && !errors.As(err, new(cli.FallbackError)) {
				// The folder has the data: partial rather than fatal.
				err = cli.PartialError{Err: err}
			}
		}
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
	// Said before anything is made: whatever happens next, what the run
	// made can be found by its label.
	r.logf("what this run makes is labelled %s=%s", tempns.RunLabel, r.id)
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
	if o.NodeName == "" && o.NodeSelector == "" {
		nodes, nerr := candidates(ctx, cs)
		r.nodes = nodes
		if nerr != nil {
			r.logf("warning: the scheduler chooses the node: reading nodes: %v", nerr)
		} else if len(nodes) == 0 {
			r.logf("warning: no node is Ready and schedulable: the scheduler chooses")
		}
	}
	// A second Ctrl-C cancels abort: the copy stops, the cleanup still runs.
	abort := cli.Abort(ctx)
	defer func() {
		if abort.Err() == nil {
			r.printSummary(abort, cs, dyn, openshift, "at the end")
		}
	}()

	// The gather phase ends at the deadline less the copy's margin, or at
	// Ctrl-C; the copy goes on after Ctrl-C, within the deadline, until a
	// second Ctrl-C.
	gatherCtx, cancel := context.WithDeadline(ctx, deadline.Add(-copyMargin(o.Timeout)))
	defer cancel()
	copyCtx, cancelCopy := context.WithDeadline(abort, deadline)
	defer cancelCopy()
	stopWatch := context.AfterFunc(abort, func() {
		r.logf("interrupted again: stopping at once; deleting what this run made")
	})
	defer stopWatch()

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
		// Named here, so that the cleanup can delete it even when the
		// answer to its creation never came (interrupted meanwhile).
		r.ns, r.ownNS = tempns.Name("must-gather-"), true
	}
	defer func() {
		if o.Keep {
			if r.ownNS && ns != nil {
				r.logf("kept namespace %s (--keep): delete it with kubectl delete ns %s", r.ns, r.ns)
			} else {
				pods := strings.Join(r.created, " ")
				r.logf("kept pods %s and service account %s in namespace %s (--keep): delete them with kubectl delete -n %s pod %s; kubectl delete -n %s serviceaccount %s; kubectl delete -n %s rolebinding -l %s=%s; kubectl delete clusterrolebinding -l %s=%s",
					pods, r.sa, r.ns, r.ns, pods, r.ns, r.sa, r.ns, tempns.RunLabel, r.id, tempns.RunLabel, r.id)
			}
			return
		}
		if cerr := r.cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if r.ownNS {
		if ns, err = tempns.Create(gatherCtx, cs, r.ns, r.id, r.expires); err != nil {
			return fmt.Errorf("creating the run's namespace: %w", err)
		}
		r.logf("namespace %s, labelled %s=%s", r.ns, tempns.RunLabel, r.id)
	}
	if err := r.grant(gatherCtx, ns); err != nil {
		return err
	}

	if o.AllImages {
		more, notes, err := annotatedImages(gatherCtx, dyn, o.Images[0])
		for _, n := range notes {
			r.logf("--all-images: %s", n)
		}
		if err != nil {
			return err
		}
		o.Images = append(o.Images, more...)
		r.logf("--all-images: running %s", strings.Join(o.Images, ", "))
	}
	targets, err := r.targets(gatherCtx)
	if err != nil {
		return err
	}
	results := make([]imageResult, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxPods)
	for i, tg := range targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-gatherCtx.Done():
				results[i] = imageResult{image: tg.image, err: fmt.Errorf("pod of %s not started: %w", tg.image, context.Cause(gatherCtx))}
				return
			}
			results[i] = r.gatherImage(gatherCtx, copyCtx, ctx, tg)
		})
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

// grant makes the service account of the gather pods and binds it: to
// --cluster-role when given; when every image is ours, to the shipped
// least-privilege roles (applied first: ReadRole cluster-wide, DebugPodsRole
// in the run's namespace); else to cluster-admin, as oc does. The
// bindings are labelled with the run; the cluster role binding is owned
// by the run's namespace, so it goes with it.
func (r *run) grant(ctx context.Context, ns *corev1.Namespace) error {
	labels, annotations := tempns.Marks(r.id, r.expires)
	meta := metav1.ObjectMeta{Name: serviceAccount, Namespace: r.ns, Labels: labels, Annotations: annotations}
	if !r.ownNS {
		// Beside the user's own; named here, so that the cleanup can delete
		// it even when the answer to its creation never came. A later run
		// deletes it once expired (a killed run's), and what it owns with
		// it: the run's pods and role binding in this namespace.
		meta.Name = tempns.Name(serviceAccount + "-")
	}
	r.sa = meta.Name
	sa, err := r.cs.CoreV1().ServiceAccounts(r.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating a service account in %s: %w", r.ns, err)
	}
	if !r.ownNS {
		r.saOwner = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ServiceAccount", Name: sa.Name, UID: sa.UID}}
	}
	role, why := r.o.clusterRole()
	if role == ReadRole {
		roles, err := GatherRoles()
		if err != nil {
			return err
		}
		for _, want := range roles {
			did, err := applyRole(ctx, r.cs, want)
			if err != nil {
				return fmt.Errorf("applying the gather's least-privilege roles (--cluster-role NAME binds another): %w", err)
			}
			r.logf("cluster role %s %s (kept for later runs)", want.Name, did)
		}
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "must-gather-", Namespace: r.ns, Labels: map[string]string{tempns.RunLabel: r.id}, OwnerReferences: r.saOwner},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: DebugPodsRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.sa, Namespace: r.ns}},
		}
		got, err := r.cs.RbacV1().RoleBindings(r.ns).Create(ctx, rb, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("binding %s/%s to cluster role %s in its namespace: %w", r.ns, r.sa, DebugPodsRole, err)
		}
		r.logf("service account %s/%s bound to cluster role %s in namespace %s (%s)", r.ns, r.sa, DebugPodsRole, r.ns, got.Name)
	}
	crb := &rbacv1.ClusterRoleBinding{
		// Expiring: with --run-namespace nothing owns it, and a later run
		// deletes it once expired (a killed run's).
		ObjectMeta: metav1.ObjectMeta{GenerateName: "must-gather-", Labels: labels, Annotations: annotations},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.sa, Namespace: r.ns}},
	}
	if r.ownNS {
		// It goes with the namespace, even when the client is killed.
		crb.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: ns.Name, UID: ns.UID}}
	}
	got, err := r.cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("binding %s/%s to cluster role %s: %w", r.ns, r.sa, role, err)
	}
	r.logf("service account %s/%s bound to cluster role %s (%s): %s", r.ns, r.sa, role, got.Name, why)
	return nil
}

// clusterRole is the cluster role the gather pods are bound to
// cluster-wide, and why.
func (o *Options) clusterRole() (role, why string) {
	switch {
	case o.ClusterRole != "":
		return o.ClusterRole, "--cluster-role"
	case o.AllImages:
		return adminRole, "--all-images runs images of others, bound as oc binds them"
	}
	for _, img := range o.Images {
		if !o.ours(img) {
			return adminRole, "image " + img + " is not this build's own, bound as oc binds it"
		}
	}
	return ReadRole, "this build's own image: least privilege (" + DebugPodsRole + " in the run's namespace)"
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
		if err := r.cs.RbacV1().RoleBindings(r.ns).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + r.id}); err != nil {
			errs = append(errs, fmt.Errorf("deleting the run's role binding in %s: %w", r.ns, err))
		}
		if r.sa != "" {
			// Its pods and role binding, which it owns, go with it (also one
			// whose creation was interrupted before its answer came).
			sas := r.cs.CoreV1().ServiceAccounts(r.ns)
			if err := r.deleteIfOurs(ctx, "service account "+r.ns+"/"+r.sa, func(ctx context.Context) (metav1.Object, error) {
				return sas.Get(ctx, r.sa, metav1.GetOptions{})
			}, func(ctx context.Context, opts metav1.DeleteOptions) error { return sas.Delete(ctx, r.sa, opts) }); err != nil {
				errs = append(errs, err)
			}
		}
		r.logf("deleted this run's pods, service account and binding in namespace %s", r.ns)
		return errors.Join(errs...)
	}
	nss := r.cs.CoreV1().Namespaces()
	if err := r.deleteIfOurs(ctx, "namespace "+r.ns, func(ctx context.Context) (metav1.Object, error) {
		return nss.Get(ctx, r.ns, metav1.GetOptions{})
	}, func(ctx context.Context, opts metav1.DeleteOptions) error { return nss.Delete(ctx, r.ns, opts) }); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deleteIfOurs deletes an object the run named (and may have made: the
// answer to its creation may never have come) when it carries the run's
// label: a name someone else took first is left alone. Absent is fine.
func (r *run) deleteIfOurs(ctx context.Context, what string, get func(context.Context) (metav1.Object, error), del func(context.Context, metav1.DeleteOptions) error) error {
	obj, err := get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("reading %s to delete it: %w", what, err)
	case obj.GetLabels()[tempns.RunLabel] != r.id:
		return nil
	}
	uid := obj.GetUID()
	if err := del(ctx, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	r.logf("deleted %s", what)
	return nil
}

// maxPods is how many gather pods run at once, as oc runs them.
const maxPods = 4

// target is one gather pod to run: an image, on a node when one is chosen
// (--node-name, or each node of --node-selector).
type target struct{ image, node string }

// targets are the pods of the run: one per image, or with --node-selector
// one per image and selected node.
func (r *run) targets(ctx context.Context) ([]target, error) {
	o := r.o
	if o.NodeSelector == "" {
		var ts []target
		for _, img := range o.Images {
			ts = append(ts, target{image: img, node: o.NodeName})
		}
		return ts, nil
	}
	nodes, err := r.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: o.NodeSelector})
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of --node-selector %s: %w", o.NodeSelector, err)
	}
	if len(nodes.Items) == 0 {
		return nil, fmt.Errorf("no node matches --node-selector %s", o.NodeSelector)
	}
	var ts []target
	for _, img := range o.Images {
		for _, n := range nodes.Items {
			ts = append(ts, target{image: img, node: n.Name})
		}
	}
	return ts, nil
}

// gatherImage runs one image's pod: it waits for it, streams its gather
// log, waits for the gather to end and copies its result back.
func (r *run) gatherImage(gatherCtx, copyCtx, runCtx context.Context, tg target) imageResult {
	image := tg.image
	res := imageResult{image: image}
	pod := r.o.gatherPod(r.ns, r.sa, image, tg.node)
	if tg.node == "" {
		onNodes(pod, r.nodes)
	}
	pod.OwnerReferences = r.saOwner
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
	if tg.node != "" {
		r.logf("pod %s runs %s on node %s", res.pod, image, tg.node)
	} else {
		r.logf("pod %s runs %s", res.pod, image)
	}
	running, err := r.pods.Wait(gatherCtx, r.ns, res.pod, pods.Running)
	if err != nil {
		res.err = fmt.Errorf("pod %s of %s did not start: %w", res.pod, image, err)
		return res
	}
	res.folder = ImageFolder(imageID(running, image))
	if r.o.NodeSelector != "" {
		// As oc lays out a run per node: <dest>/<node>/<image>/.
		res.folder = filepath.Join(ImageFolder(tg.node), res.folder)
	}
	dir := filepath.Join(r.o.DestDir, res.folder)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		res.err = fmt.Errorf("creating %s: %w", dir, err)
		return res
	}

	logPath := filepath.Join(dir, gatherLogFile)
	logCtx, stopLog := context.WithCancel(gatherCtx)
	defer stopLog()
	logDone := make(chan error, 1)
	go func() { logDone <- r.streamLog(logCtx, res.pod, logPath) }()
	ended, gatherErr := r.pods.Wait(gatherCtx, r.ns, res.pod, pods.ContainerEnded(gatherContainer))
	logErr := r.endLog(logDone, stopLog, gatherErr == nil, res.pod)
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
		// The gather has ended: its whole log can be read at once.
		r.logf("log of pod %s: %v; reading the whole log", res.pod, logErr)
		if err := r.writeLog(copyCtx, res.pod, logPath); err != nil {
			res.err = errors.Join(res.err, fmt.Errorf("the gather log of %s (%s keeps what arrived): %w", image, gatherLogFile, errors.Join(logErr, err)))
		}
	}

	cctx := copyCtx
	if runCtx.Err() != nil {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(copyCtx, afterInterrupt)
		defer cancel()
	}
	if gatherErr != nil {
		// Interrupted, or out of time: the gather still runs. Stop it first,
		// so that the copy gets a tree nobody writes to any more, with what
		// the gather writes when it stops (our gather: its manifest).
		r.stopGather(cctx, res.pod, image, filepath.Join(dir, gatherLogFile))
	}
	r.logf("copying %s from pod %s into %s", r.o.SourceDir, res.pod, dir)
	in := pods.Container{Namespace: r.ns, Pod: res.pod, Name: copyContainer}
	copyErr := r.copyResult(cctx, in, image, dir)
	res.copied = hasData(dir)
	if copyErr != nil {
		res.err = errors.Join(res.err, fmt.Errorf("copying the result of %s: %w", image, copyErr))
	}
	return res
}

// logGrace is how long the gather's log stream may go on once the gather
// has ended (the rest of its lines on the way); a stream that goes on
// longer is hung, and the whole log is read instead.
const logGrace = 10 * time.Second

// endLog waits for the log stream to end. Once the gather has ended
// (ended), it waits at most logGrace, then stops the stream and says so.
func (r *run) endLog(done <-chan error, stop context.CancelFunc, ended bool, pod string) error {
	if !ended {
		return <-done
	}
	select {
	case err := <-done:
		return err
	case <-time.After(logGrace):
	}
	stop()
	<-done
	return fmt.Errorf("its stream went on %s after the gather ended", logGrace)
}

// copyAttempts is how many times a copy is tried: a copy that failed (the
// exec refused, the stream cut) is made again, over what it unpacked.
const copyAttempts = 3

// copyResult copies the source directory of the pod's copy container into
// dir, trying again (2 s apart) while the copy fails and ctx lasts.
func (r *run) copyResult(ctx context.Context, in pods.Container, image, dir string) error {
	var err error
	for attempt := 1; attempt <= copyAttempts; attempt++ {
		if err = r.pods.CopyWith(ctx, in, r.o.tarCommand(image), dir); err == nil || ctx.Err() != nil {
			return err
		}
		if attempt < copyAttempts {
			r.logf("copying from pod %s failed (attempt %d of %d), trying again: %v", in.Pod, attempt, copyAttempts, err)
			select {
			case <-ctx.Done():
				return err
			case <-time.After(2 * time.Second):
			}
		}
	}
	return err
}

// stopTimeout bounds how long a stopped gather may take to end.
const stopTimeout = 30 * time.Second

// stopGather asks the gather container's main process to stop and waits
// (within stopTimeout) until the container has ended; then the whole log
// of the gather goes to logPath (its streaming stopped with the gather's
// time). What fails is said, and the copy goes on.
func (r *run) stopGather(ctx context.Context, pod, image, logPath string) {
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	r.logf("stopping the gather of pod %s before copying its result", pod)
	in := pods.Container{Namespace: r.ns, Pod: pod, Name: gatherContainer}
	if err := r.pods.Exec(ctx, in, r.o.stopCommand(image), pods.Streams{Stdout: io.Discard}); err != nil {
		// A container that has just ended refuses the exec: the wait says.
		r.logf("stopping the gather of pod %s: %v", pod, err)
	}
	if _, err := r.pods.Wait(ctx, r.ns, pod, pods.ContainerEnded(gatherContainer)); err != nil {
		r.logf("the gather of pod %s has not ended (%v): copying while it may still write", pod, err)
		return
	}
	r.logf("the gather of pod %s has ended", pod)
	if err := r.writeLog(ctx, pod, logPath); err != nil {
		r.logf("log of pod %s: %v", pod, err)
	}
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
func writeEventFilter(dest string, perNode bool) error {
	sink, err := output.New(dest, output.Options{})
	if err != nil {
		return err
	}
	glob := "*/" + inspect.EventsGlob
	if perNode {
		glob = "*/" + glob // <dest>/<node>/<image>/
	}
	return inspect.WriteEventFilterOf(sink, glob)
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

// Package podexec is the exec built-in: it runs a command in a container
// of selected pods, as kubectl exec does, and saves what the command writes
// to its stdout in a file per pod, its stderr beside it, through the sink
// (so the line rules of redaction apply). This is what product gather
// scripts do with `oc exec ... -- etcdctl ...` or curl inside pods.
package podexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/pods"
)

// DefaultTimeout bounds the command in each pod when --timeout does not.
const DefaultTimeout = time.Minute

// parallel bounds how many pods run the command at once.
const parallel = 4

// Config is what to run, where, and where its output goes.
type Config struct {
	pods.Selection
	// Output is the file of each pod's stdout, relative to the
	// destination; it is written as Layout says.
	Output string
	// Timeout bounds the command in each pod.
	Timeout time.Duration
	// Command is the command and its arguments.
	Command []string
}

// options are the flags and the flag set they came from: the arguments
// before "--" name the pod, those after it are the command, and only the
// flag set knows where "--" was.
type options struct {
	Config
	flags *pflag.FlagSet
}

// New returns the exec built-in:
// `exec -n NS (-l SELECTOR | POD) [-c CONTAINER] --output FILE [--timeout 1m] -- COMMAND [ARG...]`.
func New() builtin.Builtin {
	return builtin.Spec[options]{
		Name:  "exec",
		Short: "Run a command in a container of selected pods and save its output to a file per pod",
		Flags: addFlags,
		Run: func(ctx context.Context, env *builtin.Env, o options, args []string) error {
			dash := -1
			if o.flags != nil {
				dash = o.flags.ArgsLenAtDash()
			}
			cfg, err := Complete(o.Config, args, dash)
			if err != nil {
				return err
			}
			client, err := pods.ClientFor(env.Cluster)
			if err != nil {
				return err
			}
			return Run(ctx, client, env.Sink, env.Log, cfg)
		},
	}.New()
}

// addFlags registers the flags, named as kubectl exec names them, and
// keeps the flag set for where "--" was.
func addFlags(fs *pflag.FlagSet, o *options) {
	o.flags = fs
	fs.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the pods")
	fs.StringVarP(&o.Selector, "selector", "l", "", "run in every pod this label selector matches (instead of a pod named)")
	fs.StringVarP(&o.Container, "container", "c", "", "container to run in (default: the pod's kubectl.kubernetes.io/default-container, else its first)")
	fs.StringVar(&o.Output, "output", "", "file of the command's stdout, relative to the destination (written as DIR/<pod>/NAME)")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "time limit of the command in each pod")
}

// Complete reads the arguments into cfg, as kubectl exec does: those
// before "--" (dash is their count, -1 when there was no "--") are the
// pod's name, or none with a selector; those after it are the command. It
// reports every usage error at once.
func Complete(cfg Config, args []string, dash int) (Config, error) {
	var errs []error
	before, after := args, []string(nil)
	if dash >= 0 && dash <= len(args) {
		before, after = args[:dash], args[dash:]
	}
	switch {
	case dash < 0:
		errs = append(errs, errors.New("the command goes after --: exec ... -- COMMAND [ARG...]"))
	case len(after) == 0:
		errs = append(errs, errors.New("no command after --"))
	}
	switch {
	case len(before) == 1 && cfg.Selector == "":
		cfg.Pod = before[0]
	case len(before) > 1, len(before) == 1 && cfg.Selector != "":
		errs = append(errs, fmt.Errorf("unexpected arguments before --: %q", before))
	}
	cfg.Command = after
	// Without "--" the pod cannot be told from the command: the error
	// above says so, and the selection is not judged.
	if err := cfg.Selection.Validate(); err != nil && dash >= 0 {
		errs = append(errs, err)
	}
	if p, err := output.OutputFlag(cfg.Output); err != nil {
		errs = append(errs, err)
	} else {
		cfg.Output = p
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", cfg.Timeout))
	}
	return cfg, errors.Join(errs...)
}

// Layout is where the output of the command in pod goes: --output DIR/NAME
// gives DIR/<pod>/NAME for its stdout and DIR/<pod>/NAME.stderr for its
// stderr (written only when it wrote any). out is a checked UserPath.
func Layout(out, pod string) (stdout, stderr string, err error) {
	seg, _, err := output.Segment(pod, "")
	if err != nil {
		return "", "", err
	}
	dir, name := path.Split(out)
	stdout = path.Join(dir, seg, name)
	return stdout, stdout + ".stderr", nil
}

// Run runs the command in the selected pods, a few at a time, each within
// cfg.Timeout. What fails in one pod (it has no such container, it is not
// running, the command fails or hangs) is in the returned error, and the
// other pods go on. With a selector, pods that have ended are passed over
// (logged). cfg is as Complete returns it.
func Run(ctx context.Context, c pods.Client, sink *output.Sink, log io.Writer, cfg Config) error {
	list, err := c.Select(ctx, cfg.Selection)
	if err != nil {
		return err
	}
	return pods.Each(ctx, list, parallel, func(ctx context.Context, pod *corev1.Pod) error {
		if cfg.Selector != "" && pods.Ended(pod) {
			fmt.Fprintf(log, "exec: pod %s/%s is %s: not run there\n", pod.Namespace, pod.Name, pod.Status.Phase)
			return nil
		}
		target, err := pods.Target(pod, cfg.Container)
		if err != nil {
			return err
		}
		return runIn(ctx, c, sink, target, cfg)
	})
}

// runIn runs the command in one container and saves its streams.
func runIn(ctx context.Context, c pods.Client, sink *output.Sink, in pods.Container, cfg Config) error {
	where := fmt.Sprintf("pod %s/%s container %s", in.Namespace, in.Pod, in.Name)
	outRel, errRel, err := Layout(cfg.Output, in.Pod)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	stdout := &lazyFile{sink: sink, rel: outRel}
	stderr := &lazyFile{sink: sink, rel: errRel}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	err = c.Exec(runCtx, in, cfg.Command, pods.Streams{Stdout: stdout, Stderr: stderr})
	if err == nil {
		// A command that wrote nothing still has its (empty) file: the
		// reader sees it ran.
		stdout.ensure()
	}
	closeErr := errors.Join(stdout.Close(), stderr.Close())
	switch {
	case err != nil && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		err = fmt.Errorf("%s: %s: no end within --timeout %s (the stream was closed; the process may still run in the container): %w",
			where, strings.Join(cfg.Command, " "), cfg.Timeout, err)
	case err != nil:
		err = fmt.Errorf("%s: %w", where, err)
	}
	if err != nil && stderr.written() {
		err = fmt.Errorf("%w (its stderr is in %s)", err, errRel)
	}
	return errors.Join(err, closeErr)
}

// lazyFile is a file of the sink made on its first write, so a stream
// that stays empty leaves no file.
type lazyFile struct {
	sink *output.Sink
	rel  string
	f    *output.File
	err  error // of the Create
	told bool  // err was returned by a Write
	n    int64
}

func (l *lazyFile) ensure() {
	if l.f == nil && l.err == nil {
		l.f, l.err = l.sink.Create(l.rel)
	}
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	l.ensure()
	if l.err != nil {
		l.told = true
		return 0, l.err
	}
	n, err := l.f.Write(p)
	l.n += int64(n)
	return n, err
}

func (l *lazyFile) written() bool { return l.n > 0 }

// Close keeps what was written (a command that failed midway may have
// written what explains why). It reports a failed Create that no Write
// reported.
func (l *lazyFile) Close() error {
	if l.f == nil {
		if l.told {
			return nil
		}
		return l.err
	}
	return l.f.Close()
}

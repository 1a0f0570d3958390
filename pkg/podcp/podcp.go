// Package podcp is the cp built-in: it copies a file or directory out of a
// container of selected pods into the destination, as kubectl cp does
// (tar in the container, so the container needs tar). The stream is read
// with the checks of pods.WalkTar, and every file goes through the sink,
// so nothing is written outside the destination and the line rules of
// redaction apply to every file.
package podcp

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/pods"
)

// DefaultTimeout bounds the copy out of each pod when --timeout does not.
const DefaultTimeout = 5 * time.Minute

// parallel bounds how many pods are copied from at once.
const parallel = 4

// Config is what to copy, from where, to where.
type Config struct {
	pods.Selection
	// Source is the file or directory in the container.
	Source string
	// Dest is the directory of the copies, relative to the destination;
	// see Layout.
	Dest string
	// Timeout bounds the copy out of each pod.
	Timeout time.Duration
}

// New returns the cp built-in:
// `cp -n NS (-l SELECTOR | POD) [-c CONTAINER] [--timeout 5m] PATH-IN-POD DEST-SUBPATH`.
func New() builtin.Builtin {
	return builtin.Spec[Config]{
		Name:  "cp",
		Short: "Copy a file or directory out of a container of selected pods (needs tar in the container, as kubectl cp)",
		Flags: addFlags,
		Run: func(ctx context.Context, env *builtin.Env, cfg Config, args []string) error {
			cfg, err := Complete(cfg, args)
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

// addFlags registers the flags, named as kubectl names them.
func addFlags(fs *pflag.FlagSet, cfg *Config) {
	fs.StringVarP(&cfg.Namespace, "namespace", "n", "", "namespace of the pods")
	fs.StringVarP(&cfg.Selector, "selector", "l", "", "copy from every pod this label selector matches (instead of a pod named)")
	fs.StringVarP(&cfg.Container, "container", "c", "", "container to copy from (default: the pod's kubectl.kubernetes.io/default-container, else its first)")
	fs.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "time limit of the copy out of each pod")
}

// Complete reads the arguments into cfg: [POD] PATH-IN-POD DEST-SUBPATH,
// the pod only without a selector. It reports every usage error at once.
func Complete(cfg Config, args []string) (Config, error) {
	var errs []error
	want := 3
	if cfg.Selector != "" {
		want = 2
	}
	ok := len(args) == want
	if ok {
		if want == 3 {
			cfg.Pod, args = args[0], args[1:]
		}
		cfg.Source, cfg.Dest = args[0], args[1]
	} else {
		errs = append(errs, fmt.Errorf("want [POD] PATH-IN-POD DEST-SUBPATH (no POD with -l), got %q", args))
	}
	if err := cfg.Selection.Validate(); err != nil {
		errs = append(errs, err)
	}
	if ok {
		if cfg.Source == "" {
			errs = append(errs, errors.New("empty path in the pod"))
		}
		if p, err := output.UserPath(cfg.Dest); err != nil {
			errs = append(errs, fmt.Errorf("destination: %w", err))
		} else {
			cfg.Dest = p
		}
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", cfg.Timeout))
	}
	return cfg, errors.Join(errs...)
}

// TarCommand is what runs in the container: a tar stream of the source's
// last element, from its directory, so the copy keeps the source's name.
func TarCommand(source string) []string {
	clean := path.Clean(source)
	dir, base := path.Dir(clean), path.Base(clean)
	if base == "/" {
		dir, base = "/", "."
	}
	return []string{"tar", "cf", "-", "-C", dir, base}
}

// Layout is the directory the copy out of pod goes into: DEST/<pod>. The
// source keeps its last element below it (DEST/<pod>/NAME for a file or a
// directory NAME; the root's content for /). dest is a checked UserPath.
func Layout(dest, pod string) (string, error) {
	seg, _, err := output.Segment(pod, "")
	if err != nil {
		return "", err
	}
	return path.Join(dest, seg), nil
}

// Run copies the source out of the selected pods, a few at a time, each
// within cfg.Timeout. What fails in one pod (no such container, not
// running, no tar, no such path) is in the returned error, and the other
// pods go on. With a selector, pods that have ended are passed over
// (logged). cfg is as Complete returns it.
func Run(ctx context.Context, c pods.Client, sink *output.Sink, log io.Writer, cfg Config) error {
	list, err := c.Select(ctx, cfg.Selection)
	if err != nil {
		return err
	}
	return pods.Each(ctx, list, parallel, func(ctx context.Context, pod *corev1.Pod) error {
		if cfg.Selector != "" && pods.Ended(pod) {
			fmt.Fprintf(log, "cp: pod %s/%s is %s: not copied from\n", pod.Namespace, pod.Name, pod.Status.Phase)
			return nil
		}
		in, err := pods.Target(pod, cfg.Container)
		if err != nil {
			return err
		}
		dir, err := Layout(cfg.Dest, pod.Name)
		if err != nil {
			return fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		err = copyOut(ctx, c, in, cfg.Source, &writer{sink: sink, dir: dir, log: log})
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no end within --timeout %s: %w", cfg.Timeout, err)
		}
		if err != nil {
			return fmt.Errorf("copying %s out of pod %s/%s container %s: %w", cfg.Source, in.Namespace, in.Pod, in.Name, err)
		}
		return nil
	})
}

// copyOut runs tar in the container and hands its stream to w as it
// comes. The end of the command ends the stream without passing its error
// on (the error is the command's, reported once): a stream cut short is
// then a truncated tar, and a command that never ran an empty one.
func copyOut(ctx context.Context, c pods.Client, in pods.Container, source string, w *writer) error {
	pr, pw := io.Pipe()
	execDone := make(chan error, 1)
	go func() {
		err := c.Exec(ctx, in, TarCommand(source), pods.Streams{Stdout: pw})
		pw.Close()
		execDone <- err
	}()
	got := &countingReader{r: pr}
	walkErr := pods.WalkTar(ctx, got, w.entry)
	// A walk that stopped early (a full disk) stops the command's stream.
	pr.CloseWithError(errors.Join(walkErr, errors.New("the copy stopped")))
	err := <-execDone
	var exit utilexec.CodeExitError
	if err != nil && got.n == 0 && ctx.Err() == nil && !errors.As(err, &exit) &&
		!apierrors.IsForbidden(err) && !apierrors.IsNotFound(err) {
		// The command never ran (the runtime could not start it) or the
		// stream failed before a byte: say what cp needs.
		err = fmt.Errorf("tar could not be run in the container (cp needs tar there, as kubectl cp does): %w", err)
	}
	return errors.Join(err, walkErr, errors.Join(w.errs...))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// writer writes the entries of one pod's tar stream below dir, through the
// sink. A file the sink cannot write is an error of that file; the others
// are still written (unless the disk guard tripped, which stops all).
type writer struct {
	sink *output.Sink
	dir  string
	log  io.Writer
	errs []error
}

func (w *writer) entry(e pods.TarEntry) (string, error) {
	h := e.Header
	if e.Name == "." && h.Typeflag != tar.TypeDir {
		return "over the destination", nil
	}
	rel := path.Join(w.dir, e.Name)
	switch h.Typeflag {
	case tar.TypeDir:
		// Directories come with their files; an empty one leaves none.
		return "", nil
	case tar.TypeSymlink:
		// As kubectl cp: a link is not followed and not copied.
		fmt.Fprintf(w.log, "cp: skipped symbolic link %s -> %s\n", rel, h.Linkname)
		return "", nil
	case tar.TypeLink:
		// A hard link to a file copied before: a copy of what was written.
		src, err := w.sink.FS().Open(path.Join(w.dir, e.Link))
		if err != nil {
			return "hard link to " + e.Link + ": not a file copied before it", nil
		}
		defer src.Close()
		return "", w.write(rel, src)
	}
	return "", w.write(rel, e.Body)
}

// write writes one file; only a full disk stops the stream.
func (w *writer) write(rel string, r io.Reader) error {
	f, err := w.sink.Create(rel)
	if err == nil {
		if _, err = io.Copy(f, r); err != nil {
			f.Abort()
		} else {
			err = f.Close()
		}
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, output.ErrVolumeFull) {
		return err
	}
	w.errs = append(w.errs, err)
	return nil
}

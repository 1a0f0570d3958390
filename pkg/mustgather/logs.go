package mustgather

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"

	"github.com/must-gather/toolkit/pkg/cli"
)

// streamLog follows the gather container's log until it ends (or ctx is
// done) into path and onto stdout, each line prefixed with the pod's name;
// both redacted with the line rules.
func (r *run) streamLog(ctx context.Context, pod, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	file := cli.RedactedWriter(f)
	out := cli.RedactedWriter(&prefixWriter{w: r.streams.Out, prefix: []byte("[" + pod + "] "), start: true})
	err = r.copyLog(ctx, pod, io.MultiWriter(file, out), true)
	return errors.Join(err, out.Close(), file.Close(), f.Close())
}

// writeLog writes the whole log of the gather container, which has ended,
// into path (redacted), replacing what streamLog wrote once it has all of
// it: when it fails, what the stream brought stays.
func (r *run) writeLog(ctx context.Context, pod, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gather-log-*")
	if err != nil {
		return fmt.Errorf("creating a file beside %s: %w", path, err)
	}
	file := cli.RedactedWriter(f)
	err = r.copyLog(ctx, pod, file, false)
	if err = errors.Join(err, file.Close(), f.Close(), os.Chmod(f.Name(), 0o640)); err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// copyLog copies the gather container's log to w: following it as it is
// written, or as it is (follow false: the container has ended).
func (r *run) copyLog(ctx context.Context, pod string, w io.Writer, follow bool) error {
	what := "reading"
	if follow {
		what = "following"
	}
	rc, err := r.cs.CoreV1().Pods(r.ns).GetLogs(pod, &corev1.PodLogOptions{Container: gatherContainer, Follow: follow}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("%s the log of %s: %w", what, pod, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("%s the log of %s: %w", what, pod, err)
	}
	return nil
}

// prefixWriter writes prefix at the start of every line.
type prefixWriter struct {
	w      io.Writer
	prefix []byte
	start  bool // the next byte starts a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if p.start {
			if _, err := p.w.Write(p.prefix); err != nil {
				return n, err
			}
			p.start = false
		}
		i := len(b)
		for j, c := range b {
			if c == '\n' {
				i = j + 1
				p.start = true
				break
			}
		}
		m, err := p.w.Write(b[:i])
		n += m
		if err != nil {
			return n, err
		}
		b = b[i:]
	}
	return n, nil
}

package mustgather

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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
	err = r.copyLog(ctx, pod, io.MultiWriter(file, out))
	return errors.Join(err, out.Close(), file.Close(), f.Close())
}

// writeLog writes the whole log of the gather container, which has ended,
// into path (redacted), replacing what streamLog wrote.
func (r *run) writeLog(ctx context.Context, pod, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	file := cli.RedactedWriter(f)
	err = r.copyLog(ctx, pod, file)
	return errors.Join(err, file.Close(), f.Close())
}

func (r *run) copyLog(ctx context.Context, pod string, w io.Writer) error {
	rc, err := r.cs.CoreV1().Pods(r.ns).GetLogs(pod, &corev1.PodLogOptions{Container: gatherContainer, Follow: true}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("following the log of %s: %w", pod, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("following the log of %s: %w", pod, err)
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

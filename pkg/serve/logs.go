package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// log serves a container's log as the kubelet would: the current or the
// previous one, its last tailLines lines, at most limitBytes, with the
// timestamps a gather recorded only when asked for.
func (s *server) log(w http.ResponseWriter, r *http.Request, ns, pod string) {
	q := r.URL.Query()
	container := q.Get("container")
	if container == "" {
		var have []string
		for k := range s.ix.logs {
			if k.namespace == ns && k.pod == pod {
				have = append(have, k.container)
			}
		}
		slices.Sort(have)
		if len(have) != 1 {
			s.status(w, apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", pod, have)))
			return
		}
		container = have[0]
	}
	lf, ok := s.ix.logs[logKey{ns, pod, container}]
	previous, _ := strconv.ParseBool(q.Get("previous"))
	file := lf.current
	if previous {
		file = lf.previous
	}
	if !ok || file == "" {
		which := "current"
		if previous {
			which = "previous"
		}
		s.status(w, apierrors.NewNotFound(schema.GroupResource{Resource: "pods/log"},
			fmt.Sprintf("%s/%s (the bundle has no %s log of container %s)", ns, pod, which, container)))
		return
	}
	tail := -1
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.status(w, apierrors.NewBadRequest(fmt.Sprintf("tailLines %q: want a number of lines", v)))
			return
		}
		tail = n
	}
	var limit int64 = -1
	if v := q.Get("limitBytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.status(w, apierrors.NewBadRequest(fmt.Sprintf("limitBytes %q: want a positive number", v)))
			return
		}
		limit = n
	}
	timestamps, _ := strconv.ParseBool(q.Get("timestamps"))
	f, err := open(s.ix.fsys, file)
	if err != nil {
		s.status(w, apierrors.NewInternalError(err))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	var out io.Writer = w
	if limit > 0 {
		out = &limitWriter{w: w, n: limit}
	}
	// The status line is out: a failure now can only cut the log short.
	_ = copyLog(out, f, tail, timestamps)
}

// copyLog copies a log's lines (its last tail, all when tail < 0), without
// the timestamp a gather put before each unless timestamps; it holds tail
// lines at most, never the whole log.
func copyLog(w io.Writer, r io.Reader, tail int, timestamps bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var ring [][]byte
	next := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if !timestamps {
				line = dropTimestamp(line)
			}
			switch {
			case tail < 0:
				if _, werr := w.Write(line); werr != nil {
					return werr
				}
			case tail == 0:
			case len(ring) < tail:
				ring = append(ring, line)
			default:
				ring[next] = line
				next = (next + 1) % tail
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	for i := range ring {
		if _, err := w.Write(ring[(next+i)%len(ring)]); err != nil {
			return err
		}
	}
	return nil
}

// dropTimestamp removes the RFC 3339 timestamp and space that start a line
// of a log gathered with timestamps; other lines are kept as they are.
func dropTimestamp(line []byte) []byte {
	i := bytes.IndexByte(line, ' ')
	if i < len("2006-01-02T15:04:05Z") || i > len(time.RFC3339Nano)+6 {
		return line
	}
	if _, err := time.Parse(time.RFC3339Nano, string(line[:i])); err != nil {
		return line
	}
	return line[i+1:]
}

// limitWriter writes its first n bytes and drops the rest, as the kubelet
// cuts a log at limitBytes.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if int64(len(q)) > l.n {
		q = q[:l.n]
	}
	n, err := l.w.Write(q)
	l.n -= int64(n)
	if err != nil {
		return n, err
	}
	return len(p), nil
}

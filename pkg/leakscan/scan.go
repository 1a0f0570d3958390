package leakscan

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Leak is a value found in a file of the result, and redacted there.
type Leak struct {
	File  string `json:"file"` // relative to the scanned root
	Rule  string `json:"rule"` // the rule that had elided the value
	Count int    `json:"count"`
}

// String says what was found and redacted (never the value).
func (l Leak) String() string {
	return fmt.Sprintf("redacted %d value(s) of rule %q in %s", l.Count, l.Rule, l.File)
}

// chunk is how much of a file is read at a time.
const chunk = 256 << 10

// buffers are filter's buffers: a run scans thousands of files, most of
// them small, and a fresh buffer each was most of the scan's allocations.
var buffers sync.Pool

// filter copies r to w with every value the scanner knows replaced, and
// counts what it replaced by rule. It holds at most chunk plus the longest
// value of r at a time.
func (s *Scanner) filter(w io.Writer, r io.Reader) (map[string]int, error) {
	s.mu.Lock()
	overlap := max(s.maxLen-1, 0)
	s.mu.Unlock()
	hits := map[string]int{}
	bp, _ := buffers.Get().(*[]byte)
	if bp == nil || cap(*bp) < chunk+overlap {
		b := make([]byte, 0, chunk+overlap)
		bp = &b
	}
	defer buffers.Put(bp)
	buf := (*bp)[:0]
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return hits, err
		}
		limit := len(buf) - overlap
		if eof {
			limit = len(buf)
		}
		emitted := 0
		if limit > 0 {
			for _, m := range s.find(buf, limit) {
				if _, err := w.Write(buf[emitted:m.at]); err != nil {
					return hits, err
				}
				if _, err := io.WriteString(w, Replacement); err != nil {
					return hits, err
				}
				emitted = m.at + m.length
				hits[m.rule]++
			}
			if emitted < limit {
				if _, err := w.Write(buf[emitted:limit]); err != nil {
					return hits, err
				}
				emitted = limit
			}
		}
		if eof {
			return hits, nil
		}
		// What was not looked at yet (or the rest of a value that ran
		// past limit, already replaced) moves to the front.
		rest := copy(buf, buf[emitted:])
		buf = buf[:rest]
	}
}

// ScanTree scans every regular file below root (a gzip file decompressed)
// for the values the scanner knows, redacts each one found in place (a
// gzip file is compressed again), and returns what it found, by file and
// rule. A file it cannot read or rewrite is an error in the aggregate; the
// others are scanned. At most parallel files are scanned at once.
func (s *Scanner) ScanTree(ctx context.Context, root string, parallel int) ([]Leak, error) {
	if s.Stats().Forms == 0 {
		return nil, nil
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	var (
		mu    sync.Mutex
		leaks []Leak
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, max(parallel, 1))
	)
	for _, p := range files {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			hits, err := s.scanFile(p)
			rel, _ := filepath.Rel(root, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("leak scan of %s: %w", rel, err))
			}
			for rule, n := range hits {
				leaks = append(leaks, Leak{File: filepath.ToSlash(rel), Rule: rule, Count: n})
			}
		}()
	}
	wg.Wait()
	sort.Slice(leaks, func(i, j int) bool {
		if leaks[i].File != leaks[j].File {
			return leaks[i].File < leaks[j].File
		}
		return leaks[i].Rule < leaks[j].Rule
	})
	return leaks, errors.Join(errs...)
}

// scanFile looks for values in one file and, when it finds any, rewrites it
// redacted (through a temporary file beside it, renamed over it).
func (s *Scanner) scanFile(p string) (map[string]int, error) {
	gz, err := isGzip(p)
	if err != nil {
		return nil, err
	}
	hits, err := s.read(p, gz, io.Discard)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".scan-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removed on error
	var w io.Writer = tmp
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(tmp)
		w = zw
	}
	hits, err = s.read(p, gz, w)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	err = errors.Join(err, tmp.Chmod(fi.Mode().Perm()), tmp.Close())
	if err != nil {
		return nil, err
	}
	return hits, os.Rename(tmp.Name(), p)
}

func (s *Scanner) read(p string, gz bool, w io.Writer) (map[string]int, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	return s.filter(w, r)
}

// isGzip says whether the file starts as gzip does (whatever its name).
func isGzip(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [2]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	return n == 2 && magic == [2]byte{0x1f, 0x8b}, nil
}

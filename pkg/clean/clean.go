package clean

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Options tune Clean.
type Options struct {
	// Domains are searched for besides those the bundle tells (--domain).
	Domains []string
	// Concurrency is how many files are cleaned at once (0: one per CPU).
	Concurrency int
}

// Clean cleans every file of src into the folder out (which it creates;
// it must not exist or be empty), extending m. It keeps going past a file
// it cannot clean (that file is not written) and returns the report with
// the aggregate of what failed.
func Clean(ctx context.Context, src fs.FS, out string, m *Mapping, opts Options) (*Report, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	found, derr := Discover(ctx, src)
	// Sorted, so that a new mapping numbers them the same way each time.
	domains := append(slices.Clone(found.Domains), opts.Domains...)
	slices.Sort(domains)
	slices.Sort(found.Names)
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if d != "" && !isPseudonym(d) {
			m.AddDomain(d)
		}
	}
	for _, n := range found.Names {
		m.AddName(n)
	}
	mt := newMatcher(m)
	if err := os.MkdirAll(out, 0o750); err != nil {
		return nil, fmt.Errorf("creating %s: %w", out, err)
	}
	c := &cleaning{mt: mt, out: out, src: src, written: map[string]string{}}
	if derr != nil {
		c.errs = append(c.errs, fmt.Errorf("finding the cluster's names: %w", derr))
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScanner(mt)
			for p := range jobs {
				c.file(ctx, sc, p)
			}
		}()
	}
	sc := newScanner(mt)
	werr := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.fail(fmt.Errorf("reading %s: %w", p, err))
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case p == ".":
		case d.IsDir():
			var cs counts
			rel := c.path(sc, p, &cs)
			if err := os.MkdirAll(filepath.Join(out, filepath.FromSlash(rel)), 0o750); err != nil {
				c.fail(fmt.Errorf("creating %s: %w", rel, err))
				return fs.SkipDir
			}
		case d.Type().IsRegular():
			select {
			case jobs <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
		case d.Type()&fs.ModeSymlink != 0:
			c.link(sc, p)
		default:
			c.fail(fmt.Errorf("%s: not a regular file (%s), left out", c.path(sc, p, new(counts)), d.Type()))
		}
		return nil
	})
	close(jobs)
	wg.Wait()
	if werr != nil {
		c.errs = append(c.errs, werr)
	}
	if n := m.Full(); n > 0 {
		c.errs = append(c.errs, fmt.Errorf("%d values were left as they are: their range of pseudonyms is used up", n))
	}
	r := c.report()
	return r, errors.Join(c.errs...)
}

// cleaning is the state of one Clean.
type cleaning struct {
	mt  *matcher
	src fs.FS
	out string

	mu      sync.Mutex
	files   []FileReport
	written map[string]string // cleaned path -> source path
	errs    []error
}

func (c *cleaning) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err)
}

// path is p (slash-separated) with its values replaced.
func (c *cleaning) path(sc *scanner, p string, cs *counts) string {
	return string(sc.clean(nil, []byte(p), cs))
}

// file cleans the file p into its cleaned path.
func (c *cleaning) file(ctx context.Context, sc *scanner, p string) {
	fr := FileReport{}
	var cs counts
	rel := c.path(sc, p, &cs)
	fr.Path = rel
	c.mu.Lock()
	if _, dup := c.written[rel]; dup {
		c.mu.Unlock()
		c.fail(fmt.Errorf("%s: two files clean to this name (one of them left out)", rel))
		return
	}
	c.written[rel] = p
	c.mu.Unlock()
	fc := newFileCleaner(sc, formatOf(p))
	if err := c.write(ctx, fc, p, rel); err != nil {
		c.fail(errorf(rel, err))
		return
	}
	for k := range cs {
		fc.counts[k] += cs[k]
	}
	fr.set(fc)
	c.mu.Lock()
	c.files = append(c.files, fr)
	c.mu.Unlock()
}

// link makes the symbolic link p again, its target cleaned like the names
// it points at (so a relative link inside the bundle still leads to its
// file).
func (c *cleaning) link(sc *scanner, p string) {
	var cs counts
	rel := c.path(sc, p, &cs)
	rl, ok := c.src.(fs.ReadLinkFS)
	if !ok {
		c.fail(fmt.Errorf("%s: a symbolic link this bundle cannot read, left out", rel))
		return
	}
	target, err := rl.ReadLink(p)
	if err != nil {
		c.fail(fmt.Errorf("%s: reading the link: %w", rel, err))
		return
	}
	cleaned := string(sc.clean(nil, []byte(target), &cs))
	if err := os.Symlink(cleaned, filepath.Join(c.out, filepath.FromSlash(rel))); err != nil {
		c.fail(fmt.Errorf("%s: %w", rel, err))
		return
	}
	fc := &fileCleaner{counts: cs}
	fr := FileReport{Path: rel}
	fr.set(fc)
	c.mu.Lock()
	c.files = append(c.files, fr)
	c.mu.Unlock()
}

// write cleans p into rel below out: a temporary file renamed into place.
func (c *cleaning) write(ctx context.Context, fc *fileCleaner, p, rel string) (err error) {
	in, err := c.src.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	dst := filepath.Join(c.out, filepath.FromSlash(rel))
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".clean-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if strings.HasSuffix(p, ".gz") {
		err = c.gzip(ctx, fc, bw, in)
	} else {
		err = c.plain(ctx, fc, bw, in)
	}
	if err != nil {
		return err
	}
	if err := errors.Join(bw.Flush(), tmp.Chmod(0o640)); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// plain cleans a file that is not compressed; a binary one (NUL bytes in
// its first 8 KiB) is copied as it is and reported.
func (c *cleaning) plain(ctx context.Context, fc *fileCleaner, w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 8<<10)
	head, _ := br.Peek(8 << 10)
	if strings.IndexByte(string(head), 0) >= 0 {
		fc.notCleaned[NotCleanedBinaryFile]++
		_, err := io.Copy(w, br)
		return err
	}
	return fc.stream(ctx, w, br)
}

// gzip cleans a gzipped file: decompressed, cleaned, compressed again.
func (c *cleaning) gzip(ctx context.Context, fc *fileCleaner, w io.Writer, r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("decompressing: %w", err)
	}
	zw := gzip.NewWriter(w)
	if err := c.plain(ctx, fc, zw, zr); err != nil {
		return errors.Join(err, zr.Close())
	}
	return errors.Join(zr.Close(), zw.Close())
}

// Report is what Clean did: replacements by kind and by file (cleaned
// paths only: it holds no original value).
type Report struct {
	// Totals counts the replacements of every file by kind (ipv4, ipv6,
	// mac, domain, name).
	Totals map[string]int `json:"totals"`
	// Files is the number of files written.
	Files int `json:"files"`
	// NotCleaned counts what was left as it is, by reason (certificate,
	// binary-value, binary-file), in every file.
	NotCleaned map[string]int `json:"notCleaned,omitempty"`
	// Changed lists the files with replacements or parts left as they
	// are, sorted by path.
	Changed []FileReport `json:"changed"`
	// Errors are the files and steps that failed.
	Errors []string `json:"errors,omitempty"`
}

// FileReport is what was done to one file (its name included).
type FileReport struct {
	Path         string         `json:"path"`
	Replacements map[string]int `json:"replacements,omitempty"`
	NotCleaned   map[string]int `json:"notCleaned,omitempty"`
}

func (fr *FileReport) set(fc *fileCleaner) {
	for k, n := range fc.counts {
		if n > 0 {
			if fr.Replacements == nil {
				fr.Replacements = map[string]int{}
			}
			fr.Replacements[Kind(k).String()] = n
		}
	}
	for k, n := range fc.notCleaned {
		if n > 0 {
			if fr.NotCleaned == nil {
				fr.NotCleaned = map[string]int{}
			}
			fr.NotCleaned[k] = n
		}
	}
}

func (c *cleaning) report() *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Report{Totals: map[string]int{}, Files: len(c.files), Changed: []FileReport{}}
	for _, k := range kindNames {
		r.Totals[k] = 0
	}
	for _, f := range c.files {
		for k, n := range f.Replacements {
			r.Totals[k] += n
		}
		for k, n := range f.NotCleaned {
			if r.NotCleaned == nil {
				r.NotCleaned = map[string]int{}
			}
			r.NotCleaned[k] += n
		}
		if f.Replacements != nil || f.NotCleaned != nil {
			r.Changed = append(r.Changed, f)
		}
	}
	sort.Slice(r.Changed, func(i, j int) bool { return r.Changed[i].Path < r.Changed[j].Path })
	// Errors name source files: cleaned too, as the report is shared.
	sc := newScanner(c.mt)
	for _, e := range c.errs {
		r.Errors = append(r.Errors, string(sc.clean(nil, []byte(e.Error()), new(counts))))
	}
	return r
}

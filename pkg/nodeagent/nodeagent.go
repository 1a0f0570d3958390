// Package nodeagent is the node side of the node collectors: a mode of the
// static gather binary that runs in a privileged debug pod with the host's
// root at /host, and answers over exec with a stream on stdout. No shell or
// other tool is needed in the image.
package nodeagent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/redact"
)

// WriteFiles writes a stream (see package agentstream) of the regular
// files directly in each of dirs (paths below root): the listing first,
// then every file that was still written to at or after since (by
// modification time: a file that ended before the window is left out
// whole, never cut), as NAME.gz unless it already ends in .gz, then the end
// mark. A missing directory is skipped.
//
// Every file is redacted on its way, with the audit rules (see
// redact.AuditEvent: they are the line rules for a line that is no audit
// event): a file gzipped on the node is decompressed, redacted and
// compressed again. Secrets never leave the node.
//
// A file comes as consecutive gzip members of at most
// agentstream.ChunkSize bytes of it, so the agent needs no disk (the
// node's may be full) and little memory (a chunk, and a line of at most
// redact.MaxAuditLine), and a receiver keeping whole members keeps a valid
// start of a file when the stream breaks. The files are opened as soon as
// they are listed, so a log rotated meanwhile is still read whole. A file
// that cannot be read (or decompressed) is reported after the others.
func WriteFiles(w io.Writer, root string, dirs []string, since time.Time) error {
	return writeFiles(w, root, dirs, since, agentstream.ChunkSize)
}

func writeFiles(w io.Writer, root string, dirs []string, since time.Time, chunk int64) error {
	type file struct {
		rel string
		f   *os.File
	}
	var listing []string
	var files []file
	defer func() {
		for _, f := range files {
			f.f.Close()
		}
	}()
	var unread []error
	for _, d := range dirs {
		abs := filepath.Join(root, filepath.Clean("/"+d))
		entries, err := os.ReadDir(abs)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			rel := filepath.ToSlash(filepath.Join(filepath.Clean(d), e.Name()))
			listing = append(listing, rel)
			if !since.IsZero() && info.ModTime().Before(since) {
				continue
			}
			f, err := os.Open(filepath.Join(abs, e.Name()))
			if errors.Is(err, fs.ErrNotExist) {
				continue // gone since the listing (a pruned backup)
			}
			if err != nil {
				unread = append(unread, fmt.Errorf("opening %s: %w", rel, err))
				continue
			}
			files = append(files, file{rel: rel, f: f})
		}
	}
	sort.Strings(listing)
	sw := agentstream.NewWriterSize(w, chunk)
	if err := sw.Listing(listing); err != nil {
		return err
	}
	for _, f := range files {
		info, err := f.f.Stat()
		if err != nil {
			unread = append(unread, err)
			continue
		}
		err = sendRedacted(sw, f.rel, f.f, info.Size(), info.ModTime())
		var se *agentstream.SourceError
		if errors.As(err, &se) {
			unread = append(unread, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	// A file that could not be read is reported, after all the others.
	return errors.Join(append(unread, sw.Close())...)
}

// sendRedacted sends a file (up to size: a live log may grow meanwhile),
// decompressed when it is gzipped, with the audit rules applied.
func sendRedacted(sw *agentstream.Writer, rel string, f *os.File, size int64, modTime time.Time) error {
	var src io.Reader = io.LimitReader(f, size)
	if strings.HasSuffix(rel, ".gz") {
		zr, err := gzip.NewReader(bufio.NewReaderSize(src, 64<<10))
		if err != nil {
			return &agentstream.SourceError{Err: fmt.Errorf("reading %s: %w", rel, err)}
		}
		defer zr.Close()
		src = zr
	}
	return sw.Members(rel, redact.NewAuditReader(src), modTime)
}

// HasJournal reports whether the host under root keeps a systemd journal:
// any *.journal file in its persistent or volatile journal directory. An
// empty journal directory is no journal (journalctl then says "No journal
// files were found" and prints nothing useful).
func HasJournal(root string) bool {
	for _, d := range []string{"var/log/journal", "run/log/journal"} {
		found := false
		_ = filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".journal") {
				found = true
				return fs.SkipAll
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}

// ServiceLog writes the log of a host service, found as the kubelet's node
// log query finds it: the journal of the unit when the host's journal has
// it (the host's journalctl run chrooted into root, in UTC and the
// kubelet's output format), else the first of root/var/log/UNIT, UNIT.log, UNIT/UNIT.log. It
// reports which source it used ("journal", "file", "none").
func ServiceLog(ctx context.Context, w io.Writer, root, unit string, since time.Time) (string, error) {
	if err := ValidUnit(unit); err != nil {
		return "none", err
	}
	// A journal that cannot be asked is no journal: try the files, as the
	// kubelet does.
	if inJournal, _ := journalHas(ctx, root, unit); inJournal {
		// -q: no "-- No entries --" or boot markers in the log.
		args := []string{"--utc", "--no-pager", "--output=short-precise", "-q", "-u", unit}
		if !since.IsZero() {
			args = append(args, "--since", since.UTC().Format("2006-01-02 15:04:05")+" UTC")
		}
		cmd, err := hostCommand(ctx, root, "journalctl", args...)
		if err != nil {
			return "journal", err
		}
		cmd.Stdout = w
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "journal", fmt.Errorf("journalctl -u %s: %w: %s", unit, err, strings.TrimSpace(stderr.String()))
		}
		return "journal", nil
	}
	for _, name := range []string{unit, unit + ".log", unit + "/" + unit + ".log"} {
		f, err := os.Open(filepath.Join(root, "var/log", name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "file", err
		}
		defer f.Close()
		if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
			continue
		}
		bw := bufio.NewWriter(w)
		if _, err := io.Copy(bw, f); err != nil {
			return "file", err
		}
		return "file", bw.Flush()
	}
	return "none", nil
}

// unitName is what a service name may be made of (the kubelet's node log
// query allows the same).
var unitName = regexp.MustCompile(`^[a-zA-Z0-9_@.:-]+$`)

// ValidUnit refuses a service name that is not one, or that would name a
// path outside /var/log.
func ValidUnit(unit string) error {
	if !unitName.MatchString(unit) || unit == "." || unit == ".." {
		return fmt.Errorf("invalid service name %q: letters, digits and -_.:@ only", unit)
	}
	return nil
}

// journalHas reports whether the host's journal has entries of unit (as
// UNIT.service, or by that exact name).
func journalHas(ctx context.Context, root, unit string) (bool, error) {
	if !HasJournal(root) {
		return false, nil
	}
	cmd, err := hostCommand(ctx, root, "journalctl", "--field", "_SYSTEMD_UNIT")
	if err != nil {
		return false, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return false, fmt.Errorf("journalctl --field _SYSTEMD_UNIT: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	for _, u := range strings.Fields(string(out)) {
		if u == unit || u == unit+".service" {
			return true, nil
		}
	}
	return false, nil
}

// hostCommand prepares a program of the host under root to run chrooted
// into root, the host's own programs and libraries: the image needs no
// chroot tool (nor anything but this binary).
func hostCommand(ctx context.Context, root, name string, args ...string) (*exec.Cmd, error) {
	for _, dir := range []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"} {
		path := filepath.Join(dir, name)
		// Lstat: a link on the host points into the host's tree, which
		// only the chrooted program sees.
		if _, err := os.Lstat(filepath.Join(root, path)); err == nil {
			cmd := exec.CommandContext(ctx, path, args...)
			if filepath.Clean(root) != "/" {
				cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
				cmd.Dir = "/"
			}
			return cmd, nil
		}
	}
	return nil, fmt.Errorf("%s not found on the host under %s", name, root)
}

// Package nodeagent is the node side of the node collectors: a mode of the
// static gather binary that runs in a privileged debug pod with the host's
// root at /host, and answers over exec with a stream on stdout. No shell or
// other tool is needed in the image.
package nodeagent

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ListingName is the tar entry, first in the stream, that lists every file
// of the directories asked for, one per line, also those the since-window
// left out.
const ListingName = ".listing"

// WriteFiles writes a tar stream of the regular files directly in each of
// dirs (paths below root): the listing first, then every file that was
// still written to at or after since (by modification time: a file that
// ended before the window is left out whole, never cut), gzipped on the way
// as NAME.gz unless it already ends in .gz. A missing directory is skipped.
func WriteFiles(w io.Writer, root string, dirs []string, since time.Time) error {
	type file struct{ rel, abs string }
	var listing []string
	var files []file
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
			files = append(files, file{rel: rel, abs: filepath.Join(abs, e.Name())})
		}
	}
	sort.Strings(listing)
	tw := tar.NewWriter(w)
	body := strings.Join(listing, "\n")
	if body != "" {
		body += "\n"
	}
	if err := tw.WriteHeader(&tar.Header{Name: ListingName, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, body); err != nil {
		return err
	}
	for _, f := range files {
		if err := addFile(tw, f.rel, f.abs); err != nil {
			return err
		}
	}
	return tw.Close()
}

// addFile adds one file, gzipped unless it is already. The size of a
// gzipped entry is only known once compressed, so it goes through a
// temporary file in $TMPDIR (the debug pod mounts an emptyDir there), never
// through memory; a file still being written is read up to where it was.
func addFile(tw *tar.Writer, rel, abs string) error {
	src, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	if strings.HasSuffix(rel, ".gz") {
		hdr := &tar.Header{Name: rel, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.CopyN(tw, src, info.Size())
		return err
	}
	tmp, err := os.CreateTemp("", "nodeagent-*.gz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	zw := gzip.NewWriter(tmp)
	if _, err := io.CopyN(zw, src, info.Size()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	hdr := &tar.Header{Name: rel + ".gz", Mode: 0o644, Size: size, ModTime: info.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, tmp)
	return err
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

// ServiceLog writes the log of a host service: the journal of the unit when
// the host has one (journalctl run chrooted into root), else
// root/var/log/<unit>.log. It reports which source it used.
func ServiceLog(ctx context.Context, w io.Writer, root, unit string, since time.Time) (string, error) {
	if HasJournal(root) {
		args := []string{root, "journalctl", "--no-pager", "-u", unit}
		if !since.IsZero() {
			args = append(args, "--since", since.Local().Format("2006-01-02 15:04:05"))
		}
		cmd := exec.CommandContext(ctx, "chroot", args...)
		cmd.Stdout = w
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "journal", fmt.Errorf("journalctl -u %s: %w: %s", unit, err, strings.TrimSpace(stderr.String()))
		}
		return "journal", nil
	}
	f, err := os.Open(filepath.Join(root, "var/log", unit+".log"))
	if errors.Is(err, fs.ErrNotExist) {
		return "none", nil
	}
	if err != nil {
		return "file", err
	}
	defer f.Close()
	bw := bufio.NewWriter(w)
	if _, err := io.Copy(bw, f); err != nil {
		return "file", err
	}
	return "file", bw.Flush()
}

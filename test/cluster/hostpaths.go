package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// Host paths outside the state directory: taken only when absent or marked
// as the harness's own, and given back at down.

// ownerMark is written next to host paths the harness takes, so a later
// start or stop of the same cluster (the same state directory) knows they
// are its own, and another cluster on the machine knows they are not.
func (c *Config) ownerMark() string {
	return "owned by the must-gather-toolkit test cluster in " + c.Dir + "; removed by `make cluster-down`\n"
}

func (c *Config) claimedFile() string { return c.path("claimed-paths") }

// checkOwned refuses a host path that exists without our mark.
func (c *Config) checkOwned(path, mark string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != c.ownerMark() {
		return fmt.Errorf("%s exists and is not the test cluster's (no %s): refusing to use it", path, mark)
	}
	return nil
}

// claim marks a host path as ours and records it, so stop removes it and
// the residue check looks for it.
func (c *Config) claim(path, mark string) error {
	if err := os.WriteFile(mark, []byte(c.ownerMark()), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(c.claimedFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\n%s\n", path, mark)
	return errors.Join(err, f.Close())
}

// markOf names the file that marks a host path as the harness's own.
func markOf(path string) string { return path + ".mgtk-testcluster" }

// Host paths outside Dir that the cluster writes: the real places where
// collectors look (audit logs, the kubelet's log), the kubelet's fixed pod
// log directories, and containerd's fixed shim-socket directory.
// The node's paths are taken only when the node runs.
func (c *Config) exclusivePaths() []string {
	if !c.Node {
		return []string{c.AuditLogDir}
	}
	paths := []string{c.AuditLogDir, c.KubeletLogFile, "/var/log/pods", "/var/log/containers"}
	if c.JournalDir != "none" {
		paths = append(paths, c.JournalDir)
	}
	return paths
}

// Directories other programs share, fixed in containerd and iproute2: taken
// only when absent, and then removed only while empty.
var sharedDirs = []string{"/run/containerd", "/run/netns"}

// claimHostPaths takes the host paths: each only when it is absent or
// already marked as ours; containerd's socket directory is taken only when
// absent (another containerd may share it).
func (c *Config) claimHostPaths() error {
	var errs []error
	for _, p := range c.exclusivePaths() {
		errs = append(errs, c.checkOwned(p, markOf(p)))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range c.exclusivePaths() {
		// Ours from an earlier run, or new: start empty.
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := c.claim(p, markOf(p)); err != nil {
			return err
		}
	}
	for _, d := range sharedDirs {
		if c.checkOwned(d, markOf(d)) == nil {
			if err := c.claim(d, markOf(d)); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(c.AuditLogDir, 0o750); err != nil {
		return err
	}
	if !c.Node {
		return nil
	}
	f, err := os.OpenFile(c.KubeletLogFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	return f.Close()
}

// releaseHostPaths removes the host paths, but only those marked as ours.
func (c *Config) releaseHostPaths() error {
	var errs []error
	for _, p := range c.exclusivePaths() {
		if b, err := os.ReadFile(markOf(p)); err == nil && string(b) == c.ownerMark() {
			errs = append(errs, os.RemoveAll(p), os.Remove(markOf(p)))
		}
	}
	for _, d := range sharedDirs {
		if b, err := os.ReadFile(markOf(d)); err == nil && string(b) == c.ownerMark() {
			// `ip netns add` bind-mounts /run/netns onto itself; undo that
			// only once nobody else has a namespace there.
			if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
				for _, m := range mountsUnder(d) {
					_ = syscall.Unmount(m, syscall.MNT_DETACH)
				}
			}
			removeEmptyDirs(d)
			errs = append(errs, os.Remove(markOf(d)))
		}
	}
	return errors.Join(errs...)
}

// dirsDeepestFirst lists dir and the directories below it, children before
// their parents, so they can be removed in that order.
func dirsDeepestFirst(dir string) []string {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	slices.Reverse(dirs)
	return dirs
}

// removeEmptyDirs removes dir and the directories below it that are empty,
// deepest first; it never removes a file.
func removeEmptyDirs(dir string) {
	for _, d := range dirsDeepestFirst(dir) {
		_ = os.Remove(d) // fails, as it should, when not empty
	}
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// What a cluster can leave on the host: processes naming its directories,
// mounts below them. down removes them; residue lists what remains.

// residue lists what a stopped cluster must not leave: processes, mounts,
// the network namespace and host link, cgroups, and /var/log paths.
func residue(c *Config) []string {
	var out []string
	for _, pid := range processesUsing(c.Dir, c.RunDir) {
		out = append(out, fmt.Sprintf("process %d (%s)", pid, cmdline(pid)))
	}
	for _, m := range mountsUnder(c.Dir, c.RunDir) {
		out = append(out, "mount "+m)
	}
	if _, err := os.Stat(c.NetNSPath()); err == nil {
		out = append(out, "network namespace "+c.NetNS)
	}
	if _, err := os.Stat("/sys/class/net/" + c.HostVeth); err == nil {
		out = append(out, "interface "+c.HostVeth)
	}
	if hs, err := cgroupHierarchies(); err == nil {
		for _, h := range hs {
			if _, err := os.Stat(filepath.Join(h, c.CgroupRoot)); err == nil {
				out = append(out, "cgroup "+filepath.Join(h, c.CgroupRoot))
			}
		}
	}
	if b, err := os.ReadFile(c.claimedFile()); err == nil {
		for _, p := range strings.Fields(string(b)) {
			if _, err := os.Stat(p); err == nil {
				out = append(out, "file "+p)
			}
		}
	}
	if _, err := os.Stat(c.RunDir); err == nil {
		out = append(out, "directory "+c.RunDir)
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// processesUsing lists processes (not this one) whose command line names
// one of the directories.
func processesUsing(dirs ...string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl := cmdline(pid)
		for _, d := range dirs {
			if strings.Contains(cl, d+"/") || strings.HasSuffix(cl, d) || strings.Contains(cl, d+" ") {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// mountsUnder lists mount points below the directories, deepest first.
func mountsUnder(dirs ...string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		for _, d := range dirs {
			if mp == d || strings.HasPrefix(mp, d+"/") {
				out = append(out, mp)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

//go:build unix

package output

import "syscall"

// statfsUsage is the used percentage of a filesystem as df computes it:
// used / (used + available to unprivileged users).
func statfsUsage(dir string) (float64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	used := float64(st.Blocks-st.Bfree) * float64(st.Bsize)
	avail := float64(st.Bavail) * float64(st.Bsize)
	if used+avail == 0 {
		return 0, nil
	}
	return 100 * used / (used + avail), nil
}

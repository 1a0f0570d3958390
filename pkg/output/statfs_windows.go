package output

import "golang.org/x/sys/windows"

// statfsUsage is the used percentage of a volume, computed as on unix:
// used / (used + available to the caller).
func statfsUsage(dir string) (float64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	used := float64(total - free)
	if used+float64(avail) == 0 {
		return 0, nil
	}
	return 100 * used / (used + float64(avail)), nil
}

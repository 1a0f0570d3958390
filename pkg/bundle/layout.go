package bundle

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Ext is how an archive's name ends.
const Ext = ".tar.gz"

// PartName is the name of the i-th part (from 1) of the archive named file
// (<base>.tar.gz): <base>.part-001.tar.gz, <base>.part-002.tar.gz, ...
func PartName(file string, i int) string {
	return strings.TrimSuffix(file, Ext) + fmt.Sprintf(".part-%03d", i) + Ext
}

// splitPart reports the archive name and the number of a part's name, or
// ok false when name is not one.
func splitPart(name string) (archive string, n int, ok bool) {
	base, ok := strings.CutSuffix(name, Ext)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndex(base, ".part-")
	if i < 0 {
		return "", 0, false
	}
	digits := base[i+len(".part-"):]
	if len(digits) < 3 || strings.Trim(digits, "0123456789") != "" {
		return "", 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return base[:i] + Ext, n, true
}

// ArchiveName is the archive written beside the folder dir: <dir>.tar.gz.
func ArchiveName(dir string) string { return filepath.Clean(dir) + Ext }

// BaseName is an archive's name without its extension and part number:
// must-gather for must-gather.tar.gz and must-gather.part-001.tar.gz
// (.tgz too); other names are returned as they are.
func BaseName(file string) string {
	if archive, _, ok := splitPart(file); ok {
		file = archive
	}
	for _, ext := range []string{Ext, ".tgz"} {
		if base, ok := strings.CutSuffix(file, ext); ok {
			return base
		}
	}
	return file
}

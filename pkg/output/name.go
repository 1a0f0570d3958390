package output

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxName is the longest file name the sink writes: NAME_MAX (255 bytes on
// the filesystems we meet) less what the disk store adds while a file is
// written (".", ".tmp-" and up to 20 random digits).
const MaxName = 255 - len("..tmp-") - 20

// ErrBadName is a name from the cluster that cannot be a path element.
var ErrBadName = errors.New("not usable as a file name")

// Segment makes one path element of a name that came from the cluster (an
// object, namespace, group, resource, node or container name) and the
// suffix the layout adds to it. A name that is empty, "." or "..", or holds
// "/", "\" or NUL is refused (path.Join would collapse "../" and the file
// could overwrite another); the error wraps ErrBadName. A name too long for
// a file name keeps its start and ends with a hash of the whole name, so
// two long names stay apart; shortened says so.
func Segment(name, suffix string) (seg string, shortened bool, err error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", false, fmt.Errorf("name %q: %w", name, ErrBadName)
	}
	seg = name + suffix
	if len(seg) <= MaxName {
		return seg, false, nil
	}
	sum := sha256.Sum256([]byte(name))
	tail := "-" + hex.EncodeToString(sum[:8]) + suffix
	keep := name[:MaxName-len(tail)]
	for !utf8.ValidString(keep) { // do not cut a character in two
		keep = keep[:len(keep)-1]
	}
	return keep + tail, true, nil
}

// UserPath checks a path a user gave for a built-in's output (a gather.d
// line's --output or destination): relative, slash-separated, and never
// climbing, so it stays inside the destination. Each element is a name
// as Segment takes it (not shortened: a user's name too long for a file is
// refused). It returns the path cleaned of "." elements and doubled
// slashes.
func UserPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return "", fmt.Errorf("path %q: must be relative to the destination, with / between its parts", p)
	}
	var parts []string
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("path %q: must not climb with \"..\"", p)
		}
		if _, short, err := Segment(e, ""); err != nil || short {
			return "", fmt.Errorf("path %q: %q is not usable as a file name", p, e)
		}
		parts = append(parts, e)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("path %q: names no file", p)
	}
	return strings.Join(parts, "/"), nil
}

// OutputFlag checks the --output FILE of a built-in: given, and a
// UserPath. It returns the cleaned path.
func OutputFlag(v string) (string, error) {
	if v == "" {
		return "", errors.New("--output FILE is needed")
	}
	p, err := UserPath(v)
	if err != nil {
		return "", fmt.Errorf("--output: %w", err)
	}
	return p, nil
}

// HumanBytes writes a size as the run log and the overview page show it:
// bytes below 1 KiB, else KiB, MiB, ... with one decimal.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

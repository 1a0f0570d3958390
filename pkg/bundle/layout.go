package bundle

import (
	"fmt"
	"path"
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

// Place is where an object file sits in the layout of oc adm inspect.
type Place struct {
	Root      string // the bundle folder, "." for the root
	Namespace string // "" for cluster-scoped
	Group     string // "core" for the legacy group
	Resource  string // plural
}

// Locate says which resource a YAML file of the layout holds:
//
//	[ROOT/]namespaces/NS/GROUP/RESOURCE.yaml             a list
//	[ROOT/]namespaces/NS/GROUP/RESOURCE/NAME.yaml        an object
//	[ROOT/]namespaces/NS/pods/POD/POD.yaml               a pod
//	[ROOT/]namespaces/NS/NS.yaml                         the namespace
//	[ROOT/]cluster-scoped-resources/GROUP/RESOURCE.yaml  a list
//	[ROOT/]cluster-scoped-resources/GROUP/RESOURCE/NAME.yaml
//
// ROOT is any folder above (an image's folder of the client's result).
func Locate(p string) (Place, bool) {
	if !strings.HasSuffix(p, ".yaml") {
		return Place{}, false
	}
	segs := strings.Split(p, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		rest := segs[i+1:]
		root := "."
		if i > 0 {
			root = path.Join(segs[:i]...)
		}
		switch segs[i] {
		case "namespaces":
			switch {
			case len(rest) == 2 && rest[1] == rest[0]+".yaml":
				return Place{Root: root, Group: "core", Resource: "namespaces"}, true
			case len(rest) == 4 && rest[1] == "pods" && rest[3] == rest[2]+".yaml":
				return Place{Root: root, Namespace: rest[0], Group: "core", Resource: "pods"}, true
			case len(rest) == 3:
				return Place{Root: root, Namespace: rest[0], Group: rest[1], Resource: strings.TrimSuffix(rest[2], ".yaml")}, true
			case len(rest) == 4:
				return Place{Root: root, Namespace: rest[0], Group: rest[1], Resource: rest[2]}, true
			}
		case "cluster-scoped-resources":
			switch len(rest) {
			case 2:
				return Place{Root: root, Group: rest[0], Resource: strings.TrimSuffix(rest[1], ".yaml")}, true
			case 3:
				return Place{Root: root, Group: rest[0], Resource: rest[1]}, true
			}
		}
	}
	return Place{}, false
}

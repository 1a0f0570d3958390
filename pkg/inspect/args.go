package inspect

import (
	"fmt"
	"strings"
)

// target is what the command line asks for: a resource type as written
// (TYPE[.VERSION][.GROUP], any name kubectl accepts) and, optionally,
// names of that type. No names means every object of the type.
type target struct {
	resource string
	names    []string
}

// parseArgs reads the arguments as `oc adm inspect` (and kubectl get) do:
// either TYPE[,TYPE...] [NAME...], or TYPE/NAME[,TYPE/NAME...] ... .
func parseArgs(args []string) ([]target, error) {
	if len(args) == 0 {
		return nil, nil
	}
	slashed := false
	for _, a := range args {
		if strings.Contains(a, "/") {
			slashed = true
		}
	}
	if slashed {
		var out []target
		for _, a := range args {
			for _, item := range strings.Split(a, ",") {
				typ, name, ok := strings.Cut(item, "/")
				if !ok || typ == "" || name == "" || strings.Contains(name, "/") {
					return nil, fmt.Errorf("argument %q: use TYPE/NAME (all arguments take that form once one does)", item)
				}
				out = append(out, target{resource: typ, names: []string{name}})
			}
		}
		return out, nil
	}
	names := args[1:]
	var out []target
	for _, typ := range strings.Split(args[0], ",") {
		if typ == "" {
			return nil, fmt.Errorf("argument %q: empty resource type", args[0])
		}
		out = append(out, target{resource: typ, names: names})
	}
	return out, nil
}

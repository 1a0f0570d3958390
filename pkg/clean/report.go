package clean

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes the report's summary: the totals by kind, what was left
// as it is, and the errors.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cleaned %d files (%d with changes or left parts):", r.Files, len(r.Changed))
	for _, k := range kindNames {
		fmt.Fprintf(&b, " %s %d", k, r.Totals[k])
	}
	b.WriteString(" replacements\n")
	if len(r.NotCleaned) > 0 {
		var reasons []string
		for k := range r.NotCleaned {
			reasons = append(reasons, k)
		}
		sort.Strings(reasons)
		b.WriteString("left as they are (see the report):")
		for _, k := range reasons {
			fmt.Fprintf(&b, " %s %d", k, r.NotCleaned[k])
		}
		b.WriteString("\n")
		for _, f := range r.Changed {
			if len(f.NotCleaned) > 0 {
				fmt.Fprintf(&b, "  %s: %s\n", f.Path, formatCounts(f.NotCleaned))
			}
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatCounts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

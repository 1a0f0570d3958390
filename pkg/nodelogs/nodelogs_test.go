package nodelogs

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCopySince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	since := now.Add(-time.Hour)
	in := strings.Join([]string{
		"header without a time", // before any dated line: kept
		"I1126 10:00:00.000000   1 old.go:1] old",
		"\tcontinuation of old",
		"E1126 11:30:00.000000   1 new.go:1] new",
		"\tcontinuation of new",
		"Nov 26 10:59:59 host kubelet[1]: old journal line",
		"Nov 26 11:00:00 host kubelet[1]: journal line at since",
		"I1231 23:59:59.000000   1 lastyear.go:1] from last December",
	}, "\n") + "\n"
	var out bytes.Buffer
	if err := copySince(&out, strings.NewReader(in), since, now, "node-a "); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"node-a header without a time",
		"node-a E1126 11:30:00.000000   1 new.go:1] new",
		"node-a \tcontinuation of new",
		"node-a Nov 26 11:00:00 host kubelet[1]: journal line at since",
	}, "\n") + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("copySince (-want +got):\n%s", diff)
	}
}

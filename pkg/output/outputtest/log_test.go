package outputtest

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Lines written at once by concurrent workers stay whole.
func TestLog(t *testing.T) {
	t.Parallel()
	var log Log
	var wg sync.WaitGroup
	var want []string
	for i := range 8 {
		line := fmt.Sprintf("worker %d done", i)
		want = append(want, line)
		wg.Go(func() { fmt.Fprintln(&log, line) })
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

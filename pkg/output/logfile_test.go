package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lines is n lines "line 000\n", "line 001\n", ... (9 bytes each).
func lines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "line %03d\n", i)
	}
	return b.String()
}

// writeLog writes content to a new log of s in chunks of chunk bytes.
func writeLog(t *testing.T, s *Sink, rel, content string, chunk int) (*LogFile, error) {
	t.Helper()
	f, err := s.CreateLog(rel)
	if err != nil {
		return nil, err
	}
	for p := content; len(p) > 0; {
		n := min(chunk, len(p))
		if _, err := f.Write([]byte(p[:n])); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	return f, f.Close()
}

// A log keeps its last --max-log-size bytes from a line's start, whatever
// the size of the writes, and records the cut; a log that fits is whole.
func TestLogTail(t *testing.T) {
	t.Parallel()
	log := lines(0, 100) // 900 bytes
	tests := []struct {
		name    string
		limit   int64
		chunk   int
		want    string
		wantCut *Cut
	}{
		{name: "no limit", limit: 0, chunk: 7, want: log},
		{name: "fits exactly", limit: 900, chunk: 900, want: log},
		{name: "small writes", limit: 95, chunk: 7, want: lines(90, 10),
			wantCut: &Cut{Path: "x.log", OriginalBytes: 900, KeptBytes: 90, Reason: CutMaxLogSize}},
		{name: "one write", limit: 95, chunk: 900, want: lines(90, 10),
			wantCut: &Cut{Path: "x.log", OriginalBytes: 900, KeptBytes: 90, Reason: CutMaxLogSize}},
		{name: "writes across the ring's end", limit: 100, chunk: 64, want: lines(89, 11),
			wantCut: &Cut{Path: "x.log", OriginalBytes: 900, KeptBytes: 99, Reason: CutMaxLogSize}},
		{name: "limit on a line's end", limit: 90, chunk: 13, want: lines(90, 10),
			wantCut: &Cut{Path: "x.log", OriginalBytes: 900, KeptBytes: 90, Reason: CutMaxLogSize}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSink(t, Options{MaxLogSize: tc.limit})
			f, err := writeLog(t, s, "x.log", log, tc.chunk)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(s.Root(), "x.log"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCut, f.Cut()); diff != "" {
				t.Errorf("cut (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"x.log"}, tree(t, s.Root())); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := s.Used(); got != int64(len(tc.want)) { // no --max-size: the alignment is given back
				t.Errorf("charged %d bytes, stored %d", got, len(tc.want))
			}
		})
	}
}

// A line longer than the limit is kept from its middle: no line starts
// among the kept bytes.
func TestLogTailOneLongLine(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{MaxLogSize: 10})
	f, err := writeLog(t, s, "x.log", strings.Repeat("a", 50)+"0123456789", 16)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Root(), "x.log"))
	if diff := cmp.Diff("0123456789", string(b)); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Cut{Path: "x.log", OriginalBytes: 60, KeptBytes: 10, Reason: CutMaxLogSize}, f.Cut()); diff != "" {
		t.Errorf("cut (-want +got):\n%s", diff)
	}
}

// Under --max-size, objects are charged and never refused; a log gets what
// is left (its tail), then logs are refused with ErrBudgetSpent; every cut
// is counted in the view that made it and in the total.
func TestBudget(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{MaxSize: 200, MaxLogSize: 1000})
	var step Counter
	v := s.WithCounter(&step)
	if err := v.WriteObject("a.yaml", map[string]any{"kind": "ConfigMap", "data": map[string]any{"k": strings.Repeat("v", 100)}}); err != nil {
		t.Fatal(err)
	}
	yamlSize := s.Used()
	if _, err := writeLog(t, v, "first.log", lines(0, 10), 90); err != nil {
		t.Fatal(err)
	}
	left := 200 - yamlSize
	wantKept := left - left%9 // whole lines of 9 bytes
	if _, err := writeLog(t, v, "second.log", lines(0, 50), 100); !errors.Is(err, ErrBudgetSpent) {
		t.Errorf("second log: error %v, want ErrBudgetSpent", err)
	}
	// Objects still go in.
	if err := v.WriteObject("b.yaml", map[string]any{"kind": "ConfigMap"}); err != nil {
		t.Errorf("an object after the budget is spent: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Root(), "first.log"))
	if diff := cmp.Diff(lines(10-int(wantKept/9), int(wantKept/9)), string(b)); diff != "" {
		t.Errorf("first.log (-want +got):\n%s", diff)
	}
	want := []Cut{
		{Path: "first.log", OriginalBytes: 90, KeptBytes: wantKept, Reason: CutMaxSize},
		{Path: "second.log", Reason: CutMaxSize},
	}
	if diff := cmp.Diff(want, step.Cuts()); diff != "" {
		t.Errorf("cuts of the step (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, s.Total().Cuts()); diff != "" {
		t.Errorf("cuts of the run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.yaml", "b.yaml", "first.log"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// The run's record is charged at its latest size, not once per rewrite.
func TestBudgetChargesRecordOnce(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{MaxSize: 1000})
	for _, content := range []string{"1234567890", "12345"} {
		if err := s.WriteMeta("gather-manifest.json", []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Used(); got != 5 {
		t.Errorf("charged %d bytes, want 5", got)
	}
}

// Bytes written past the sink (Charge) leave less of the budget to logs.
func TestBudgetCharge(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{MaxSize: 100})
	s.Charge(100)
	if !s.BudgetSpent() {
		t.Fatal("the budget is not spent after charging all of it")
	}
	if _, err := s.CreateLog("x.log"); !errors.Is(err, ErrBudgetSpent) {
		t.Errorf("CreateLog: error %v, want ErrBudgetSpent", err)
	}
}

// Past --max-log-size a log takes no more room on the volume than its
// ring (unlinked as it is made): the file's first bytes are dropped.
func TestLogTailTakesNoRoomTwice(t *testing.T) {
	t.Parallel()
	s := newSink(t, Options{MaxLogSize: 95})
	f, err := s.CreateLog("x.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(lines(0, 10))); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, s.Root()); len(got) != 1 {
		t.Errorf("files below the limit: %v, want the log's temporary file", got)
	}
	if _, err := f.Write([]byte(lines(10, 10))); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, s.Root()); got != nil {
		t.Errorf("files past the limit: %v, want none (the ring is unlinked)", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"x.log"}, tree(t, s.Root())); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

package output

import (
	"errors"
	"fmt"
	"sync"
)

// ErrBudgetSpent is returned (wrapped) for a container log refused because
// the run's --max-size is spent. It is a decided cut, not a failure: the
// cut is recorded (see Counter.Cuts).
var ErrBudgetSpent = errors.New("the run's --max-size is spent")

// The reasons of a Cut.
const (
	// CutMaxLogSize: the log was longer than --max-log-size; its tail is kept.
	CutMaxLogSize = "max-log-size"
	// CutMaxSize: the run's --max-size ran short; the log's tail that fit
	// is kept, or nothing once it was spent.
	CutMaxSize = "max-size"
)

// Cut records a container log that was not kept whole. OriginalBytes is
// what the log would have had (0 when it was refused before it was read);
// KeptBytes is what its file holds, the log's last bytes from a line's start.
type Cut struct {
	Path          string `json:"path"`
	OriginalBytes int64  `json:"originalBytes,omitempty"`
	KeptBytes     int64  `json:"keptBytes"`
	Reason        string `json:"reason"`
}

func (c Cut) String() string {
	if c.KeptBytes == 0 {
		return fmt.Sprintf("%s not written: %s", c.Path, c.Reason)
	}
	return fmt.Sprintf("%s cut to its last %s of %s: %s", c.Path, HumanBytes(c.KeptBytes), HumanBytes(c.OriginalBytes), c.Reason)
}

// budget is the run's byte budget (--max-size), shared by every view of a
// sink. Every file is charged as it is committed; only container logs are
// ever refused or cut for it.
type budget struct {
	mu    sync.Mutex
	limit int64 // 0: no limit
	used  int64
	meta  map[string]int64 // the size charged for each file of the record, replaced as it is rewritten
}

// charge adds n bytes; it never refuses.
func (b *budget) charge(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used += n
}

// chargeMeta charges a file of the run's record that replaces its earlier
// version (the manifest is rewritten after every step): only the change.
func (b *budget) chargeMeta(rel string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.meta == nil {
		b.meta = map[string]int64{}
	}
	b.used += n - b.meta[rel]
	b.meta[rel] = n
}

// take grants up to n bytes of what is left, charging them.
func (b *budget) take(n int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit > 0 {
		n = max(0, min(n, b.limit-b.used))
	}
	b.used += n
	return n
}

// refund gives back bytes taken but not used.
func (b *budget) refund(n int64) { b.charge(-n) }

// spent reports whether a budget is set and nothing is left of it.
func (b *budget) spent() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit > 0 && b.used >= b.limit
}

// Charge counts n bytes written past the sink (the files of an executable
// step) against --max-size; it never refuses: they are written already.
func (s *Sink) Charge(n int64) { s.budget.charge(n) }

// Used reports the bytes charged to the run so far (every file committed
// through any view, the record's files at their current size).
func (s *Sink) Used() int64 {
	s.budget.mu.Lock()
	defer s.budget.mu.Unlock()
	return s.budget.used
}

// BudgetSpent reports whether --max-size is set and spent: a collector
// about to fetch a container log can skip it (CreateLog would refuse it).
func (s *Sink) BudgetSpent() bool { return s.budget.spent() }

// HasBudget reports whether the run has a --max-size.
func (s *Sink) HasBudget() bool { return s.opts.MaxSize > 0 }

// recordCut adds a cut to the view's counter and to the total.
func (s *Sink) recordCut(c Cut) {
	for _, ctr := range []*Counter{s.counter, &s.total} {
		ctr.mu.Lock()
		ctr.cuts = append(ctr.cuts, c)
		ctr.mu.Unlock()
	}
}

// Cuts lists the logs cut or refused through this view, in the order they
// were closed.
func (c *Counter) Cuts() []Cut {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cuts) == 0 {
		return nil
	}
	return append([]Cut(nil), c.cuts...)
}

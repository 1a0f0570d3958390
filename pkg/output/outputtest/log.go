package outputtest

import (
	"strings"
	"sync"
)

// Log is a log a test reads back that concurrent workers may write to
// (a collector's Log, a command's stderr). Its zero value is ready to use.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

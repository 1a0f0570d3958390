package auditlogs

import (
	"testing"
	"time"
)

func TestEndedBefore(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		since time.Time
		want  bool
	}{
		{name: "audit.log", since: since, want: false},
		{name: "audit-2026-11-26T11-59-59.999.log", since: since, want: true},
		{name: "audit-2026-11-26T11-59-59.999.log.gz", since: since, want: true},
		{name: "audit-2026-11-26T12-00-00.001.log", since: since, want: false},
		{name: "audit-2026-11-25T08-00-00.log", since: since, want: true},
		{name: "audit-2026-11-25T08-00-00.log", since: time.Time{}, want: false},
		{name: "not-a-timestamp-audit.log", since: since, want: false},
	}
	for _, tc := range tests {
		if got := endedBefore(tc.name, tc.since); got != tc.want {
			t.Errorf("endedBefore(%q, %v) = %v, want %v", tc.name, tc.since, got, tc.want)
		}
	}
}

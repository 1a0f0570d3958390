package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroupMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, group string
		want           bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "sub.example.com", false},
		{"example.com", "notexample.com", false},
		{".example.com", "example.com", true},
		{".example.com", "sub.example.com", true},
		{".example.com", "a.b.example.com", true},
		{".example.com", "notexample.com", false},
		{".example.com", "example.com.evil", false},
		{"example.com", "", false},
	}
	for _, tc := range tests {
		if got := GroupMatches(tc.pattern, tc.group); got != tc.want {
			t.Errorf("GroupMatches(%q, %q) = %v, want %v", tc.pattern, tc.group, got, tc.want)
		}
	}
}

func TestCheckAPIGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		wantErr bool
	}{
		{pattern: "example.com"},
		{pattern: ".example.com"},
		{pattern: "operators.coreos.com"},
		{pattern: "", wantErr: true},
		{pattern: ".", wantErr: true},
		{pattern: "..example.com", wantErr: true},
		{pattern: "Example.com", wantErr: true},
		{pattern: "example.com/v1", wantErr: true},
		{pattern: "../etc", wantErr: true},
	}
	var got []bool
	var want []bool
	for _, tc := range tests {
		got = append(got, checkAPIGroup(tc.pattern) != nil)
		want = append(want, tc.wantErr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refused, in the order of %v (-want +got):\n%s", tests, diff)
	}
}

package app

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKlogVerbosity(t *testing.T) {
	tests := []struct {
		v    int
		want map[string]string
	}{
		{v: 2, want: map[string]string{"v": "2"}},
		{v: 6, want: map[string]string{"v": "6"}},
		{v: 8, want: map[string]string{"v": "6", "vmodule": "request=6,round_trippers=6,*=8"}},
		{v: 10, want: map[string]string{"v": "6", "vmodule": "request=6,round_trippers=6,*=10"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, klogVerbosity(tc.v)); diff != "" {
			t.Errorf("klogVerbosity(%d) (-want +got):\n%s", tc.v, diff)
		}
	}
}

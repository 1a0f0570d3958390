package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		str     string
		wantErr bool
	}{
		{in: "1Gi", want: 1 << 30, str: "1Gi"},
		{in: "100Mi", want: 100 << 20, str: "100Mi"},
		{in: "100M", want: 100e6, str: "100000000"},
		{in: "65536", want: 65536, str: "64Ki"},
		{in: "0", want: 0, str: "0"},
		{in: "-1Mi", wantErr: true},
		{in: "1.5", wantErr: true},
		{in: "lots", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var s Size
			err := s.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) error %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff([]any{tt.want, tt.str}, []any{s.Bytes, s.String()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

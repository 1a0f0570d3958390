package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// A flag wins over its variable; a variable fills what no flag gave; the
// client hands on only the flags given.
func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    [2]int64 // max-size, max-log-size
		wantEnv []string
		wantErr string
	}{
		{name: "defaults", want: [2]int64{0, 100 << 20}},
		{name: "flags", args: []string{"--max-size=2Gi", "--max-log-size=1Mi"}, want: [2]int64{2 << 30, 1 << 20},
			wantEnv: []string{"MUST_GATHER_MAX_SIZE=2Gi", "MUST_GATHER_MAX_LOG_SIZE=1Mi"}},
		{name: "variables", env: map[string]string{EnvMaxSize: "500Mi", EnvMaxLogSize: "64Ki"}, want: [2]int64{500 << 20, 64 << 10}},
		{name: "a flag wins", args: []string{"--max-log-size=0"}, env: map[string]string{EnvMaxLogSize: "64Ki"}, want: [2]int64{0, 0},
			wantEnv: []string{"MUST_GATHER_MAX_LOG_SIZE=0"}},
		{name: "bad variable", env: map[string]string{EnvMaxSize: "lots"}, wantErr: `$MUST_GATHER_MAX_SIZE: "lots" is not a quantity`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var l Limits
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			l.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			l.Given(fs)
			err := l.Resolve(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, [2]int64{l.MaxSize.Bytes, l.MaxLogSize.Bytes}); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEnv, l.Env()); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

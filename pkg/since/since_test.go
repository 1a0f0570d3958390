package since

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/cli"
)

func TestResolve(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		flags   Flags
		env     map[string]string
		want    Window
		wantErr string // the usage error; empty: none
	}{
		{name: "none", want: Window{}},
		{name: "since flag", flags: Flags{Since: 2 * time.Hour}, want: Window{From: now.Add(-2 * time.Hour), Since: 2 * time.Hour}},
		{name: "since-time flag", flags: Flags{SinceTime: "2026-11-26T15:00:00Z"}, want: Window{From: at, SinceTime: "2026-11-26T15:00:00Z"}},
		{name: "since variable", env: map[string]string{EnvSince: "30m"}, want: Window{From: now.Add(-30 * time.Minute), Since: 30 * time.Minute}},
		{name: "since-time variable", env: map[string]string{EnvSinceTime: "2026-11-26T15:00:00Z"}, want: Window{From: at, SinceTime: "2026-11-26T15:00:00Z"}},
		{name: "a flag wins over both variables", flags: Flags{SinceTime: "2026-11-26T15:00:00Z"}, env: map[string]string{EnvSince: "30m", EnvSinceTime: "garbage"}, want: Window{From: at, SinceTime: "2026-11-26T15:00:00Z"}},
		{name: "both flags", flags: Flags{Since: time.Hour, SinceTime: "2026-11-26T15:00:00Z"}, wantErr: "--since and --since-time cannot be used together"},
		{name: "both variables", env: map[string]string{EnvSince: "1h", EnvSinceTime: "2026-11-26T15:00:00Z"}, wantErr: "$MUST_GATHER_SINCE and $MUST_GATHER_SINCE_TIME cannot be used together"},
		{name: "negative flag", flags: Flags{Since: -time.Hour}, wantErr: "--since -1h0m0s is negative: give a duration like 2h"},
		{name: "negative variable", env: map[string]string{EnvSince: "-5m"}, wantErr: "$MUST_GATHER_SINCE -5m0s is negative: give a duration like 2h"},
		{name: "unparsable variable", env: map[string]string{EnvSince: "two hours"}, wantErr: `MUST_GATHER_SINCE="two hours" is not a duration like 2h`},
		{name: "unparsable since-time flag", flags: Flags{SinceTime: "yesterday"}, wantErr: `--since-time "yesterday" is not an RFC3339 time like 2026-11-26T15:00:00Z`},
		{name: "unparsable since-time variable", env: map[string]string{EnvSinceTime: "2026-11-26"}, wantErr: `$MUST_GATHER_SINCE_TIME "2026-11-26" is not an RFC3339 time like 2026-11-26T15:00:00Z`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.flags.Resolve(func(k string) string { return tc.env[k] }, now)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if code := cli.ExitCode(err); code != cli.ExitUsage {
					t.Errorf("exit code %d, want %d (usage)", code, cli.ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("window (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWindowEnv(t *testing.T) {
	tests := []struct {
		w    Window
		want []string
	}{
		{Window{}, nil},
		{Window{Since: 90 * time.Minute}, []string{"MUST_GATHER_SINCE=1h30m0s"}},
		{Window{SinceTime: "2026-11-26T15:00:00Z"}, []string{"MUST_GATHER_SINCE_TIME=2026-11-26T15:00:00Z"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.w.Env()); diff != "" {
			t.Errorf("Env of %+v (-want +got):\n%s", tc.w, diff)
		}
	}
}

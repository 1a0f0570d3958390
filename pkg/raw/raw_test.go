package raw

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		line    []string
		want    Config
		wantErr bool
	}{
		{name: "metrics", line: []string{"/metrics", "--output", "metrics/apiserver.txt"},
			want: Config{Path: "/metrics", Output: "metrics/apiserver.txt", Timeout: DefaultTimeout}},
		{name: "a query", line: []string{"--timeout", "10s", "/readyz?verbose", "--output", "readyz.txt"},
			want: Config{Path: "/readyz?verbose", Output: "readyz.txt", Timeout: 10 * time.Second}},
		{name: "a service proxy", line: []string{"/api/v1/namespaces/app/services/web:8080/proxy/metrics", "--output", "web/metrics"},
			want: Config{Path: "/api/v1/namespaces/app/services/web:8080/proxy/metrics", Output: "web/metrics", Timeout: DefaultTimeout}},
		{name: "a node's log directory, trailing slash kept", line: []string{"/api/v1/nodes/n1/proxy/logs/", "--output", "n1/logs.html"},
			want: Config{Path: "/api/v1/nodes/n1/proxy/logs/", Output: "n1/logs.html", Timeout: DefaultTimeout}},
		{name: "no path", line: []string{"--output", "o"}, wantErr: true},
		{name: "two paths", line: []string{"/a", "/b", "--output", "o"}, wantErr: true},
		{name: "no output", line: []string{"/metrics"}, wantErr: true},
		{name: "an output that climbs", line: []string{"/metrics", "--output", "a/../../o"}, wantErr: true},
		{name: "a relative path", line: []string{"metrics", "--output", "o"}, wantErr: true},
		{name: "a URL", line: []string{"https://evil.example.com/metrics", "--output", "o"}, wantErr: true},
		{name: "a host", line: []string{"//evil.example.com/metrics", "--output", "o"}, wantErr: true},
		{name: "a climbing path", line: []string{"/api/v1/../../metrics", "--output", "o"}, wantErr: true},
		{name: "a fragment", line: []string{"/metrics#x", "--output", "o"}, wantErr: true},
		{name: "a negative timeout", line: []string{"/metrics", "--output", "o", "--timeout", "-1s"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cfg Config
			fs := pflag.NewFlagSet("raw", pflag.ContinueOnError)
			addFlags(fs, &cfg)
			if err := fs.Parse(tc.line); err != nil {
				t.Fatal(err)
			}
			got, err := Complete(cfg, fs.Args())
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

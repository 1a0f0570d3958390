package podexec

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/pods"
)

// parse reads a line's arguments (after "exec") with the built-in's flags,
// as the runner and the subcommand do.
func parse(t *testing.T, line []string) (Config, error) {
	t.Helper()
	var o options
	fs := pflag.NewFlagSet("exec", pflag.ContinueOnError)
	addFlags(fs, &o)
	if err := fs.Parse(line); err != nil {
		return Config{}, err
	}
	return Complete(o.Config, fs.Args(), fs.ArgsLenAtDash())
}

func TestComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		line    []string
		want    Config
		wantErr bool
	}{
		{
			name: "a pod by name",
			line: []string{"-n", "etcd", "etcd-0", "-c", "etcd", "--output", "etcd/members.json", "--", "etcdctl", "member", "list", "-w", "json"},
			want: Config{Selection: pods.Selection{Namespace: "etcd", Pod: "etcd-0", Container: "etcd"}, Output: "etcd/members.json",
				Timeout: DefaultTimeout, Command: []string{"etcdctl", "member", "list", "-w", "json"}},
		},
		{
			name: "pods by selector, flags after the command's flags are the command's",
			line: []string{"-n", "app", "-l", "app=web", "--output", "./web//version.txt", "--timeout", "10s", "--", "curl", "-n", "--timeout", "5"},
			want: Config{Selection: pods.Selection{Namespace: "app", Selector: "app=web"}, Output: "web/version.txt",
				Timeout: 10 * time.Second, Command: []string{"curl", "-n", "--timeout", "5"}},
		},
		{name: "no --", line: []string{"-n", "app", "web", "--output", "o", "ls"}, wantErr: true},
		{name: "no command", line: []string{"-n", "app", "web", "--output", "o", "--"}, wantErr: true},
		{name: "a pod and a selector", line: []string{"-n", "app", "-l", "a=b", "web", "--output", "o", "--", "ls"}, wantErr: true},
		{name: "two pods", line: []string{"-n", "app", "web", "db", "--output", "o", "--", "ls"}, wantErr: true},
		{name: "no pod", line: []string{"-n", "app", "--output", "o", "--", "ls"}, wantErr: true},
		{name: "no namespace", line: []string{"web", "--output", "o", "--", "ls"}, wantErr: true},
		{name: "no output", line: []string{"-n", "app", "web", "--", "ls"}, wantErr: true},
		{name: "an output that climbs", line: []string{"-n", "app", "web", "--output", "../o", "--", "ls"}, wantErr: true},
		{name: "an absolute output", line: []string{"-n", "app", "web", "--output", "/etc/o", "--", "ls"}, wantErr: true},
		{name: "a zero timeout", line: []string{"-n", "app", "web", "--output", "o", "--timeout", "0s", "--", "ls"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(t, tc.line)
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

func TestLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		output, pod          string
		wantOut, wantErrFile string
		wantErr              bool
	}{
		{output: "etcd/members.json", pod: "etcd-0", wantOut: "etcd/etcd-0/members.json", wantErrFile: "etcd/etcd-0/members.json.stderr"},
		{output: "version.txt", pod: "web", wantOut: "web/version.txt", wantErrFile: "web/version.txt.stderr"},
		{output: "a/b/c.txt", pod: "p", wantOut: "a/b/p/c.txt", wantErrFile: "a/b/p/c.txt.stderr"},
		{output: "o", pod: "..", wantErr: true},
	}
	for _, tc := range tests {
		out, errFile, err := Layout(tc.output, tc.pod)
		if (err != nil) != tc.wantErr {
			t.Errorf("Layout(%q, %q) error %v, want error %v", tc.output, tc.pod, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff([]string{tc.wantOut, tc.wantErrFile}, []string{out, errFile}); !tc.wantErr && diff != "" {
			t.Errorf("Layout(%q, %q) (-want +got):\n%s", tc.output, tc.pod, diff)
		}
	}
}

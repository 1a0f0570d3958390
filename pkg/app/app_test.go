package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/version"
	"github.com/must-gather/toolkit/test/clustertest"
)

func runApp(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return out.String(), errOut.String(), code
}

func TestVersionCommand(t *testing.T) {
	out, _, code := runApp(t, "version")
	i := version.Get()
	want := i.Product + " " + i.Version + " (commit " + i.GitCommit + ")\n"
	if code != cli.ExitOK {
		t.Fatalf("exit code %d", code)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("gather version (-want +got):\n%s", diff)
	}
}

func TestExitCodes(t *testing.T) {
	// No kubeconfig anywhere and not in a pod.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")

	badKubeconfig := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(badKubeconfig, []byte("this: [is not a kubeconfig"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreachable := filepath.Join(t.TempDir(), "unreachable")
	// Port 1 on loopback: nothing listens there; the dial fails at once.
	if err := os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		args        []string
		wantCode    int
		wantErr     string // substring of the one-line error
		wantVersion bool   // the version file is written before anything can fail
		env         map[string]string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: cli.ExitUsage, wantErr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"--nope"}, wantCode: cli.ExitUsage, wantErr: "unknown flag: --nope"},
		{name: "empty dest dir", args: []string{"--dest-dir", ""}, wantCode: cli.ExitUsage, wantErr: "--dest-dir must not be empty"},
		{name: "dest dir is a file", args: []string{"--dest-dir", "FILE"}, wantCode: cli.ExitUsage, wantErr: "--dest-dir FILE is not a directory"},
		{name: "dest dir below a file", args: []string{"--dest-dir", "FILE/out", "--kubeconfig", unreachable}, wantCode: cli.ExitFatal, wantErr: "creating destination FILE/out: mkdir FILE: not a directory"},
		{name: "dest dir not writable", args: []string{"--dest-dir", "READONLY/out", "--kubeconfig", unreachable}, wantCode: cli.ExitFatal, wantErr: "creating destination READONLY/out: mkdir READONLY/out: "},
		{name: "no cluster access", args: []string{"--dest-dir", "DEST"}, wantCode: cli.ExitFatal, wantErr: "no cluster access", wantVersion: true},
		{name: "malformed kubeconfig", args: []string{"--dest-dir", "DEST", "--kubeconfig", badKubeconfig}, wantCode: cli.ExitFatal, wantErr: "loading kubeconfig", wantVersion: true},
		{name: "unreachable server", args: []string{"--dest-dir", "DEST", "--kubeconfig", unreachable}, wantCode: cli.ExitFatal, wantErr: "reaching the API server at https://127.0.0.1:1", wantVersion: true},
		{name: "archive inside dest dir", args: []string{"--dest-dir", "DEST", "--archive-file", "DEST/x.tar.gz"}, wantCode: cli.ExitUsage, wantErr: "is inside --dest-dir"},
		{name: "archive not .tar.gz", args: []string{"--dest-dir", "DEST", "--archive-file", "x.zip"}, wantCode: cli.ExitUsage, wantErr: "--archive-file x.zip: its name must end in .tar.gz"},
		{name: "part size too small", args: []string{"--dest-dir", "DEST", "--archive-file", "x.tar.gz", "--max-part-size", "1Ki"}, wantCode: cli.ExitUsage, wantErr: "--max-part-size 1Ki is below the least"},
		{name: "part size not a quantity", args: []string{"--dest-dir", "DEST", "--max-part-size", "big"}, wantCode: cli.ExitUsage, wantErr: `"big" is not a quantity`},
		// One since-window, one set of rules, for gather and every built-in.
		{name: "negative since", args: []string{"--dest-dir", "DEST", "--since=-1h"}, wantCode: cli.ExitUsage, wantErr: "--since -1h0m0s is negative"},
		{name: "negative MUST_GATHER_SINCE", args: []string{"--dest-dir", "DEST"}, env: map[string]string{"MUST_GATHER_SINCE": "-5m"}, wantCode: cli.ExitUsage, wantErr: "$MUST_GATHER_SINCE -5m0s is negative"},
		{name: "unparsable MUST_GATHER_SINCE_TIME", args: []string{"--dest-dir", "DEST"}, env: map[string]string{"MUST_GATHER_SINCE_TIME": "today"}, wantCode: cli.ExitUsage, wantErr: `$MUST_GATHER_SINCE_TIME "today" is not an RFC3339 time`},
		{name: "inspect: negative since", args: []string{"inspect", "--dest-dir", "DEST", "--since=-1h", "ns/default"}, wantCode: cli.ExitUsage, wantErr: "--since -1h0m0s is negative"},
		{name: "audit-logs: unparsable MUST_GATHER_SINCE", args: []string{"audit-logs", "--dest-dir", "DEST"}, env: map[string]string{"MUST_GATHER_SINCE": "two hours"}, wantCode: cli.ExitUsage, wantErr: `MUST_GATHER_SINCE="two hours" is not a duration`},
		{name: "node-logs: since and since-time", args: []string{"node-logs", "--dest-dir", "DEST", "--since=1h", "--since-time=2026-11-26T15:00:00Z"}, wantCode: cli.ExitUsage, wantErr: "--since and --since-time cannot be used together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			dest := filepath.Join(t.TempDir(), "out")
			file := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(file, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			readOnly := "READONLY"
			if strings.Contains(strings.Join(tc.args, " "), readOnly) {
				readOnly = readOnlyDir(t)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.NewReplacer("DEST", dest, "FILE", file, "READONLY", readOnly).Replace(a)
			}
			tc.wantErr = strings.NewReplacer("FILE", file, "READONLY", readOnly).Replace(tc.wantErr)
			_, stderr, code := runApp(t, args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "error: ") || !strings.Contains(last, tc.wantErr) {
				t.Errorf("last stderr line = %q, want an error containing %q", last, tc.wantErr)
			}
			_, err := os.Stat(filepath.Join(dest, "version"))
			if got := err == nil; got != tc.wantVersion {
				t.Errorf("version file written = %v, want %v", got, tc.wantVersion)
			}
		})
	}
}

// readOnlyDir returns a directory nobody, root included, can write in: a
// read-only tmpfs (mounted when the test runs as root), or one without write
// permission.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return dir
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

func TestGatherFromRealCluster(t *testing.T) {
	cfg := clustertest.Config(t)
	clustertest.RequireNode(t) // the default gather.d reads the node
	kubeconfig := os.Getenv("TEST_KUBECONFIG")
	if kubeconfig == "" {
		root, err := clustertest.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		kubeconfig = filepath.Join(root, "_output", "cluster", "kubeconfig")
	}
	dest := filepath.Join(t.TempDir(), "must-gather")
	stdout, stderr, code := runApp(t, "--dest-dir", dest, "--kubeconfig", kubeconfig)
	if code != cli.ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if diff := cmp.Diff(dest+"\n", stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "gathering from "+cfg.Host+" (Kubernetes v1.37.2)") {
		t.Errorf("stderr does not name the cluster and its version:\n%s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(dest, "version"))
	if err != nil {
		t.Fatal(err)
	}
	i := version.Get()
	if diff := cmp.Diff(i.Product+"\n"+i.Version+"\n", string(b)); diff != "" {
		t.Errorf("version file (-want +got):\n%s", diff)
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
		want  []string
	}{
		{argv0: "/usr/bin/gather", args: nil, want: nil},
		{argv0: "gather", args: []string{"inspect", "ns/x"}, want: []string{"inspect", "ns/x"}},
		{argv0: "/usr/bin/gather_audit_logs", args: nil, want: []string{"audit-logs", "--dest-dir", "/must-gather"}},
		{argv0: "gather_audit_logs", args: []string{"--node", "a"}, want: []string{"audit-logs", "--dest-dir", "/must-gather", "--node", "a"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Args(tc.argv0, tc.args)); diff != "" {
			t.Errorf("Args(%q, %q) (-want +got):\n%s", tc.argv0, tc.args, diff)
		}
	}
}

// kubectl-must_gather hands the gather its share of the run's time in
// MUST_GATHER_TIMEOUT; --timeout wins, and a bad value is a usage error.
func TestTimeoutFromTheClient(t *testing.T) {
	tests := []struct {
		name       string
		env        string
		flagSet    bool
		want       time.Duration
		wantErrSub string
	}{
		{name: "none", want: DefaultTimeout},
		{name: "from the client", env: "6m30s", want: 6*time.Minute + 30*time.Second},
		{name: "the flag wins", env: "6m30s", flagSet: true, want: DefaultTimeout},
		{name: "not a duration", env: "soon", wantErrSub: `$MUST_GATHER_TIMEOUT "soon" is not a positive duration`},
		{name: "negative", env: "-1m", wantErrSub: `$MUST_GATHER_TIMEOUT "-1m" is not a positive duration`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newGatherOptions(cli.IOStreams{})
			o.timeout, o.timeoutSet, o.gatherDir = DefaultTimeout, tc.flagSet, t.TempDir()
			o.getenv = func(k string) string {
				if k == "MUST_GATHER_TIMEOUT" {
					return tc.env
				}
				return ""
			}
			err := o.complete()
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) || cli.ExitCode(err) != cli.ExitUsage {
					t.Fatalf("complete() = %v, want a usage error with %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.timeout != tc.want {
				t.Errorf("timeout %s, want %s", o.timeout, tc.want)
			}
		})
	}
}

// An image built on ours: $GATHER_DIR names our folder and its own, run in
// that order, and $MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION name it in
// the version file and the manifest.
func TestGatherFoldersAndProduct(t *testing.T) {
	clustertest.Config(t)
	kubeconfig := os.Getenv("TEST_KUBECONFIG")
	if kubeconfig == "" {
		root, err := clustertest.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		kubeconfig = filepath.Join(root, "_output", "cluster", "kubeconfig")
	}
	folder := func(who string) string {
		dir := t.TempDir()
		script := "#!/bin/sh\necho " + who + " >>\"$BASE_COLLECTION_PATH/order\"\n"
		if err := os.WriteFile(filepath.Join(dir, "10-step"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	ours, theirs := folder("ours"), folder("theirs")
	t.Setenv("GATHER_DIR", ours+":"+theirs)
	t.Setenv("MUST_GATHER_PRODUCT", "example-operator")
	t.Setenv("MUST_GATHER_VERSION", "1.2.3")
	dest := filepath.Join(t.TempDir(), "must-gather")
	if _, stderr, code := runApp(t, "--dest-dir", dest, "--kubeconfig", kubeconfig); code != cli.ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if diff := cmp.Diff("ours\ntheirs\n", read("order")); diff != "" {
		t.Errorf("order the folders ran in (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("example-operator\n1.2.3\n", read("version")); diff != "" {
		t.Errorf("version file (-want +got):\n%s", diff)
	}
	var m struct {
		Options struct {
			Product, ProductVersion, GatherDir string
		}
		Steps []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(read("gather-manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Name, Status string }{{ours + "/10-step", "ok"}, {theirs + "/10-step", "ok"}}
	if diff := cmp.Diff(want, m.Steps); diff != "" {
		t.Errorf("manifest steps (-want +got):\n%s", diff)
	}
	if m.Options.Product != "example-operator" || m.Options.ProductVersion != "1.2.3" || m.Options.GatherDir != "$GATHER_DIR "+ours+":"+theirs {
		t.Errorf("manifest options %+v", m.Options)
	}
}

// Where the steps come from: --gather-dir, else $GATHER_DIR, each a list of
// folders separated by ":"; a folder that is not there is a usage error.
func TestGatherDirs(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	tests := []struct {
		name, flag, env string
		wantFrom        string
		wantFolders     []string
		wantErr         string
	}{
		{name: "the flag", flag: a, env: b, wantFrom: "--gather-dir " + a, wantFolders: []string{a}},
		{name: "the environment", env: a + ":" + b, wantFrom: "$GATHER_DIR " + a + ":" + b, wantFolders: []string{a, b}},
		{name: "a folder list in the flag", flag: b + ":" + a, wantFrom: "--gather-dir " + b + ":" + a, wantFolders: []string{b, a}},
		{name: "an empty element", env: a + "::" + b, wantErr: `gather.d folders "` + a + "::" + b + `" ($GATHER_DIR): an empty folder name`},
		{name: "a folder that is not there", env: a + ":" + a + "/nope", wantErr: "gather.d folder " + a + "/nope ($GATHER_DIR) is not a readable directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newGatherOptions(cli.IOStreams{})
			o.timeout, o.gatherDir = DefaultTimeout, tc.flag
			o.getenv = func(k string) string {
				if k == "GATHER_DIR" {
					return tc.env
				}
				return ""
			}
			err := o.complete()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || cli.ExitCode(err) != cli.ExitUsage {
					t.Fatalf("complete() = %v, want the usage error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range o.folders {
				got = append(got, f.Name)
			}
			if diff := cmp.Diff(tc.wantFolders, got); diff != "" {
				t.Errorf("folders (-want +got):\n%s", diff)
			}
			if o.stepsFrom != tc.wantFrom {
				t.Errorf("from %q, want %q", o.stepsFrom, tc.wantFrom)
			}
		})
	}
}

// The gather in our image takes the limits from $MUST_GATHER_MAX_SIZE and
// $MUST_GATHER_MAX_LOG_SIZE (the client's flags) unless its own flags say
// otherwise.
func TestLimitsFromTheClient(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		want       [2]int64 // max-size, max-log-size
		wantErrSub string
	}{
		{name: "defaults", want: [2]int64{0, 100 << 20}},
		{name: "from the client", env: map[string]string{"MUST_GATHER_MAX_SIZE": "5Gi", "MUST_GATHER_MAX_LOG_SIZE": "1Mi"}, want: [2]int64{5 << 30, 1 << 20}},
		{name: "the flags win", args: []string{"--max-size=1Gi", "--max-log-size=0"}, env: map[string]string{"MUST_GATHER_MAX_SIZE": "5Gi", "MUST_GATHER_MAX_LOG_SIZE": "1Mi"}, want: [2]int64{1 << 30, 0}},
		{name: "not a quantity", env: map[string]string{"MUST_GATHER_MAX_LOG_SIZE": "big"}, wantErrSub: `$MUST_GATHER_MAX_LOG_SIZE: "big" is not a quantity`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newGatherOptions(cli.IOStreams{})
			fs := pflag.NewFlagSet("gather", pflag.ContinueOnError)
			o.addFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			o.limits.Given(fs)
			o.gatherDir = t.TempDir()
			o.getenv = func(k string) string { return tc.env[k] }
			err := o.complete()
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) || cli.ExitCode(err) != cli.ExitUsage {
					t.Fatalf("complete() = %v, want a usage error with %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, [2]int64{o.limits.MaxSize.Bytes, o.limits.MaxLogSize.Bytes}); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
		})
	}
}

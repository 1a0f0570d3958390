package mustgather

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/since"
)

// The flags' defaults are oc's; --image defaults to the build's own image.
func TestDefaults(t *testing.T) {
	t.Parallel()
	cmd := NewCommand(cli.IOStreams{})
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ flag, want string }{
		{"image", "[]"},
		{"dest-dir", ""},
		{"timeout", "10m0s"},
		{"since", "0s"},
		{"since-time", ""},
		{"source-dir", "/must-gather/"},
		{"keep", "false"},
		{"volume-percentage", "70"},
		{"node-name", ""},
		{"kubeconfig", ""},
		{"context", ""},
	}
	for _, tc := range tests {
		f := cmd.Flags().Lookup(tc.flag)
		if f == nil {
			t.Errorf("no --%s", tc.flag)
			continue
		}
		if diff := cmp.Diff(tc.want, f.DefValue); diff != "" {
			t.Errorf("--%s default (-want +got):\n%s", tc.flag, diff)
		}
	}
	if f := cmd.Flags().Lookup("volume-percentage"); !strings.Contains(f.Usage, "oc's current default") {
		t.Errorf("--volume-percentage's help does not say it is oc's default: %q", f.Usage)
	}
}

func TestComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{
			name: "defaults",
			in:   Options{OwnImage: "quay.io/x/ours:v1"},
			want: Options{OwnImage: "quay.io/x/ours:v1", Images: []string{"quay.io/x/ours:v1"}, Timeout: 10 * time.Minute,
				SourceDir: "/must-gather/", VolumePercentage: 70, Command: []string{"/usr/bin/gather"}},
		},
		{
			name: "given values stay",
			in: Options{OwnImage: "ours", Images: []string{"a", "b"}, DestDir: "d", Timeout: time.Minute,
				SourceDir: "/out", VolumePercentage: 90, Command: []string{"/usr/bin/gather_audit_logs"}},
			want: Options{OwnImage: "ours", Images: []string{"a", "b"}, DestDir: "d", Timeout: time.Minute,
				SourceDir: "/out", VolumePercentage: 90, Command: []string{"/usr/bin/gather_audit_logs"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.in
			got.Complete()
			if tc.in.DestDir == "" && !strings.HasPrefix(got.DestDir, "must-gather.local.") {
				t.Errorf("dest dir %q, want must-gather.local.<random>", got.DestDir)
			}
			if got.Now == nil {
				t.Error("no clock")
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Options{}), cmpopts.IgnoreFields(Options{}, "Now"),
				cmp.FilterPath(func(p cmp.Path) bool { return tc.in.DestDir == "" && p.String() == "DestDir" }, cmp.Ignore())); diff != "" {
				t.Errorf("completed options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := func(o Options) Options {
		o.Complete()
		return o
	}
	tests := []struct {
		name    string
		o       Options
		wantErr []string // lines of the joined usage error; nil: valid
	}{
		{name: "defaults", o: valid(Options{OwnImage: "ours"})},
		{name: "no image at all", o: valid(Options{}), wantErr: []string{"no --image given and this build carries no default image"}},
		{
			name: "all at once",
			o: valid(Options{Images: []string{""}, Timeout: -time.Second, SourceDir: "must-gather", VolumePercentage: 101,
				Since: since.Flags{Since: time.Hour, SinceTime: "2026-11-26T15:00:00Z"}}),
			wantErr: []string{
				"--image is empty",
				"--timeout -1s is negative",
				`--source-dir "must-gather" is not an absolute path`,
				"--volume-percentage must be between 1 and 100",
				"--since and --since-time cannot be used together",
			},
		},
		{name: "all images alone", o: valid(Options{OwnImage: "ours", AllImages: true, NodeSelector: "a=b"})},
		{
			name: "all images with what chooses images or a place, as oc refuses them",
			o:    valid(Options{OwnImage: "ours", Images: []string{"x"}, AllImages: true, HostNetwork: true, NodeName: "n", RunNamespace: "ns"}),
			wantErr: []string{
				"--image and --all-images are mutually exclusive",
				"--host-network and --all-images are mutually exclusive",
				"--node-name and --all-images are mutually exclusive",
				"--run-namespace and --all-images are mutually exclusive",
			},
		},
		{
			name: "node name and selector; a bad selector; negative -v",
			o:    valid(Options{OwnImage: "ours", NodeName: "n", NodeSelector: "a in (", Verbosity: -1}),
			wantErr: []string{
				"--node-name and --node-selector are mutually exclusive",
				`--node-selector "a in (": unable to parse requirement: found '', expected: ',', ')' or identifier`,
				"-v -1 is negative",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.o.Validate()
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if diff := cmp.Diff(tc.wantErr, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if code := cli.ExitCode(err); code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
			}
		})
	}
}

// Arguments go after --; before it they are a usage error.
func TestArgumentsBeforeDash(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := Run(t.Context(), cli.IOStreams{Out: &out, ErrOut: &errOut}, []string{"/usr/bin/gather"})
	if code := cli.ExitCode(err); code != cli.ExitUsage {
		t.Errorf("exit code %d (%v), want %d", code, err, cli.ExitUsage)
	}
}

// The window reaches the gather container as oc's variables.
func TestGatherPod(t *testing.T) {
	t.Parallel()
	o := Options{OwnImage: "ours", Since: since.Flags{Since: 2 * time.Hour}, NodeName: "n1",
		Limits: cli.Limits{MaxLogSize: cli.Size{Bytes: 1 << 20}, MaxLogSizeGiven: true}}
	o.Complete()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	p := o.gatherPod("ns", "sa", "ours", "n1")
	var env []string
	for _, e := range p.Spec.Containers[0].Env {
		if e.ValueFrom != nil {
			env = append(env, e.Name+"<-"+e.ValueFrom.FieldRef.FieldPath)
		} else {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	if diff := cmp.Diff([]string{"NODE_NAME<-spec.nodeName", "POD_NAME<-metadata.name", "MUST_GATHER_SINCE=2h0m0s", "MUST_GATHER_MAX_LOG_SIZE=1Mi", "MUST_GATHER_TIMEOUT=8m0s"}, env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	got := map[string][]string{
		"gather":       p.Spec.Containers[0].Command,
		"copy":         p.Spec.Containers[1].Command,
		"tar":          o.tarCommand("ours"),
		"other gather": o.gatherCommand("quay.io/other/must-gather"),
		"other copy":   o.copyCommand("quay.io/other/must-gather"),
		"other tar":    o.tarCommand("quay.io/other/must-gather"),
	}
	want := map[string][]string{
		"gather":       {"/usr/bin/gather", "--dest-dir", "/must-gather", "--volume-percentage", "70", "--timeout", "8m0s"},
		"copy":         {"/usr/bin/gather", "node-agent", "wait"},
		"tar":          {"/usr/bin/gather", "node-agent", "tar", "/must-gather"},
		"other gather": {"/bin/bash", "-c", guardScript, "volume-guard", "/must-gather", "70", "5", "/usr/bin/gather"},
		"other copy":   {"/bin/bash", "-c", "trap : TERM INT; sleep infinity & wait"},
		"other tar":    {"tar", "cf", "-", "-C", "/must-gather", "."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if p.Spec.NodeName != "n1" || p.Spec.NodeSelector["kubernetes.io/os"] != "linux" || len(p.Spec.Tolerations) != 1 {
		t.Errorf("placement: node %q, selector %v, tolerations %v", p.Spec.NodeName, p.Spec.NodeSelector, p.Spec.Tolerations)
	}
	if p.Spec.HostNetwork || p.Spec.Containers[0].SecurityContext != nil {
		t.Errorf("without --host-network: host network %v, security context %v", p.Spec.HostNetwork, p.Spec.Containers[0].SecurityContext)
	}
	// --host-network: the host's network, and CAP_NET_RAW for the gather
	// alone, as oc gives it.
	o.HostNetwork = true
	p = o.gatherPod("ns", "sa", "ours", "n1")
	if sc := p.Spec.Containers[0].SecurityContext; !p.Spec.HostNetwork || sc == nil || sc.Capabilities == nil ||
		cmp.Diff([]corev1.Capability{"NET_RAW"}, sc.Capabilities.Add) != "" || p.Spec.Containers[1].SecurityContext != nil {
		t.Errorf("with --host-network: host network %v, security contexts %v, %v", p.Spec.HostNetwork, sc, p.Spec.Containers[1].SecurityContext)
	}
}

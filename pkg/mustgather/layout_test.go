package mustgather

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/inspect"
)

func TestImageFolder(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"quay.io/must-gather/must-gather-toolkit@sha256:0123abcd", "quay-io-must-gather-must-gather-toolkit-sha256-0123abcd"},
		{"sha256:0123abcd", "sha256-0123abcd"},
		{"docker.io/library/x:v1.0", "docker-io-library-x-v1-0"},
		{"localhost/mgtk/gather:e2e-1", "localhost-mgtk-gather-e2e-1"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ImageFolder(tc.id)); diff != "" {
			t.Errorf("ImageFolder(%q) (-want +got):\n%s", tc.id, diff)
		}
	}
}

func TestPrefixWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := &prefixWriter{w: &buf, prefix: []byte("[p] "), start: true}
	for _, s := range []string{"one\ntw", "o\n", "\nthree"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff("[p] one\n[p] two\n[p] \n[p] three", buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		results []imageResult
		want    int
	}{
		{name: "all gathered", results: []imageResult{{copied: true}, {copied: true}}, want: cli.ExitOK},
		{name: "one failed, data copied", results: []imageResult{{copied: true}, {err: boom}}, want: cli.ExitPartial},
		{name: "failed but copied", results: []imageResult{{copied: true, err: boom}}, want: cli.ExitPartial},
		{name: "nothing", results: []imageResult{{err: boom}}, want: cli.ExitFatal},
		{name: "no error, no data", results: []imageResult{{}}, want: cli.ExitFatal},
	}
	for _, tc := range tests {
		if got := cli.ExitCode(summarize(tc.results)); got != tc.want {
			t.Errorf("%s: exit code %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestFallbackArgs(t *testing.T) {
	tests := []struct {
		openshift bool
		wantCfg   inspect.Config
		wantArgs  []string
	}{
		{openshift: false, wantCfg: inspect.Config{Cluster: true}},
		{openshift: true, wantCfg: inspect.Config{Cluster: true}, wantArgs: []string{"clusterversions.config.openshift.io/version", "ns/openshift-cluster-version"}},
	}
	for _, tc := range tests {
		cfg, args := fallbackArgs(tc.openshift)
		if diff := cmp.Diff(tc.wantCfg, cfg, cmpopts.IgnoreUnexported(inspect.Config{})); diff != "" {
			t.Errorf("openshift=%v: config (-want +got):\n%s", tc.openshift, diff)
		}
		if diff := cmp.Diff(tc.wantArgs, args); diff != "" {
			t.Errorf("openshift=%v: args (-want +got):\n%s", tc.openshift, diff)
		}
	}
}

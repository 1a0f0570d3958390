package builtin

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

type testConfig struct {
	Units []string
	Since string
}

func testSpec(got *[]testConfig) Spec[testConfig] {
	return Spec[testConfig]{
		Name:  "units",
		Short: "test",
		Flags: func(fs *pflag.FlagSet, cfg *testConfig) {
			fs.StringSliceVarP(&cfg.Units, "unit", "u", []string{"kubelet"}, "")
		},
		NoArgs: true,
		Run: func(_ context.Context, _ *Env, cfg testConfig, _ []string) error {
			*got = append(*got, cfg)
			return nil
		},
	}
}

func TestSpec(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []testConfig
		wantErr string
	}{
		{name: "defaults", args: nil, want: []testConfig{{Units: []string{"kubelet"}}}},
		{name: "flags fill the config", args: []string{"-u", "crio,kubelet"}, want: []testConfig{{Units: []string{"crio", "kubelet"}}}},
		{name: "no arguments", args: []string{"extra"}, wantErr: `units takes no arguments, got ["extra"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []testConfig
			b := testSpec(&got).New()
			fs := pflag.NewFlagSet("units", pflag.ContinueOnError)
			b.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := b.Run(context.Background(), &Env{}, fs.Args())
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config the work ran with (-want +got):\n%s", diff)
			}
		})
	}
}

// A built-in offers run files only when its spec has them; each New has a
// config of its own.
func TestSpecRunFilesAndFreshConfig(t *testing.T) {
	var got []testConfig
	s := testSpec(&got)
	if _, ok := s.New().(RunFiler); ok {
		t.Error("a spec without RunFiles offers run files")
	}
	wrote := false
	s.RunFiles = func(context.Context, *Env) error { wrote = true; return nil }
	rf, ok := s.New().(RunFiler)
	if !ok {
		t.Fatal("a spec with RunFiles does not offer them")
	}
	if err := rf.WriteRunFiles(context.Background(), &Env{}); err != nil || !wrote {
		t.Errorf("WriteRunFiles: %v, wrote %v", err, wrote)
	}

	first, second := s.New(), s.New()
	fs := pflag.NewFlagSet("a", pflag.ContinueOnError)
	first.AddFlags(fs)
	if err := fs.Parse([]string{"-u", "crio"}); err != nil {
		t.Fatal(err)
	}
	second.AddFlags(pflag.NewFlagSet("b", pflag.ContinueOnError))
	for _, b := range []Builtin{first, second} {
		if err := b.Run(context.Background(), &Env{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []testConfig{{Units: []string{"crio"}}, {Units: []string{"kubelet"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("configs (-want +got):\n%s", diff)
	}
}

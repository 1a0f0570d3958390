package podcp

import (
	"archive/tar"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
	"github.com/must-gather/toolkit/pkg/pods"
)

func TestComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		line    []string
		want    Config
		wantErr bool
	}{
		{name: "a pod by name", line: []string{"-n", "app", "web-0", "-c", "web", "/etc/web", "web/config"},
			want: Config{Selection: pods.Selection{Namespace: "app", Pod: "web-0", Container: "web"}, Source: "/etc/web", Dest: "web/config", Timeout: DefaultTimeout}},
		{name: "pods by selector", line: []string{"-n", "app", "-l", "app=web", "--timeout", "30s", "/var/log/web.log", "./web/logs/"},
			want: Config{Selection: pods.Selection{Namespace: "app", Selector: "app=web"}, Source: "/var/log/web.log", Dest: "web/logs", Timeout: 30 * time.Second}},
		{name: "a pod and a selector", line: []string{"-n", "app", "-l", "app=web", "web-0", "/etc", "d"}, wantErr: true},
		{name: "no destination", line: []string{"-n", "app", "web-0", "/etc"}, wantErr: true},
		{name: "no namespace", line: []string{"web-0", "/etc", "d"}, wantErr: true},
		{name: "a destination that climbs", line: []string{"-n", "app", "web-0", "/etc", "../d"}, wantErr: true},
		{name: "an absolute destination", line: []string{"-n", "app", "web-0", "/etc", "/tmp/d"}, wantErr: true},
		{name: "the destination itself", line: []string{"-n", "app", "web-0", "/etc", "."}, wantErr: true},
		{name: "an empty source", line: []string{"-n", "app", "web-0", "", "d"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cfg Config
			fs := pflag.NewFlagSet("cp", pflag.ContinueOnError)
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

func TestTarCommandAndLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source string
		want   []string
	}{
		{source: "/etc/web", want: []string{"tar", "cf", "-", "-C", "/etc", "web"}},
		{source: "/etc/web/", want: []string{"tar", "cf", "-", "-C", "/etc", "web"}},
		{source: "/var/log/web.log", want: []string{"tar", "cf", "-", "-C", "/var/log", "web.log"}},
		{source: "/", want: []string{"tar", "cf", "-", "-C", "/", "."}},
		{source: "data", want: []string{"tar", "cf", "-", "-C", ".", "data"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, TarCommand(tc.source)); diff != "" {
			t.Errorf("TarCommand(%q) (-want +got):\n%s", tc.source, diff)
		}
	}
	dir, err := Layout("web/config", "web-0")
	if diff := cmp.Diff("web/config/web-0", dir); err != nil || diff != "" {
		t.Errorf("Layout: %v (-want +got):\n%s", err, diff)
	}
	if _, err := Layout("d", ".."); err == nil {
		t.Error("Layout took a pod named ..")
	}
}

// entry is one entry of a test tar stream.
type entry struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

// A pod's tar stream lands below its directory through the sink: files
// redacted by the line rules, a hard link as a copy, a symbolic link
// skipped and logged (as kubectl cp), and what could climb out refused
// while the rest is written.
func TestWriterThroughTheSink(t *testing.T) {
	t.Parallel()
	stream := tarOf(t,
		entry{name: "conf/", typ: tar.TypeDir},
		entry{name: "conf/app.properties", typ: tar.TypeReg, body: "db.url=jdbc:x\npassword=hunter2-planted\n"},
		entry{name: "conf/empty/", typ: tar.TypeDir},
		entry{name: "conf/again.properties", typ: tar.TypeLink, link: "conf/app.properties"},
		entry{name: "conf/current", typ: tar.TypeSymlink, link: "/etc/passwd"},
		entry{name: "../escape", typ: tar.TypeReg, body: "x"},
		entry{name: "/etc/cron.d/evil", typ: tar.TypeReg, body: "x"},
		entry{name: "conf/dev", typ: tar.TypeChar},
		entry{name: "conf/ghost-link", typ: tar.TypeLink, link: "conf/never-written"},
		entry{name: "conf/z.txt", typ: tar.TypeReg, body: "last\n"},
	)
	sink, mem := outputtest.New(output.Options{})
	var log outputtest.Log
	w := &writer{sink: sink, dir: "web/config/web-0", log: &log}
	err := pods.WalkTar(t.Context(), stream, w.entry)
	redacted := "db.url=jdbc:x\npassword=REDACTED\n"
	want := map[string]string{
		"web/config/web-0/conf/app.properties":   redacted,
		"web/config/web-0/conf/again.properties": redacted,
		"web/config/web-0/conf/z.txt":            "last\n",
	}
	if diff := cmp.Diff(want, mem.Files()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var refused []string
	for _, e := range unwrapJoined(err) {
		if !errors.Is(e, pods.ErrUnsafe) {
			t.Errorf("not a refusal: %v", e)
		}
		refused = append(refused, e.Error())
	}
	wantRefused := []string{
		`unsafe tar entry "../escape": climbs out of the destination`,
		`unsafe tar entry "/etc/cron.d/evil": an absolute name`,
		`unsafe tar entry "conf/dev": a device file`,
		`unsafe tar entry "conf/ghost-link": hard link to conf/never-written: not a file copied before it`,
	}
	if diff := cmp.Diff(wantRefused, refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if !strings.Contains(log.String(), "cp: skipped symbolic link web/config/web-0/conf/current -> /etc/passwd\n") {
		t.Errorf("log:\n%s", log.String())
	}
}

func unwrapJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

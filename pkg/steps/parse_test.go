package steps

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLine(t *testing.T) {
	t.Parallel()
	vars := Vars{"MUST_GATHER_SINCE": "2h", "NODE_NAME": "node-a", "POD_NAME": ""}
	tests := []struct {
		name        string
		line        string
		want        []string
		wantTimeout time.Duration
		wantErr     string // substring; "" = no error
	}{
		{name: "plain", line: "inspect clusteroperators", want: []string{"inspect", "clusteroperators"}},
		{name: "extra spaces and tabs", line: "inspect \t  ns/a   ns/b", want: []string{"inspect", "ns/a", "ns/b"}},
		{name: "double quotes", line: `inspect --dest-dir "a dir"`, want: []string{"inspect", "--dest-dir", "a dir"}},
		{name: "single quotes keep dollar", line: `node-logs '$NODE_NAME'`, want: []string{"node-logs", "$NODE_NAME"}},
		{name: "escaped space", line: `inspect a\ b`, want: []string{"inspect", "a b"}},
		{name: "empty quoted arg", line: `inspect ""`, want: []string{"inspect", ""}},
		{name: "allowed variable", line: "node-logs --since $MUST_GATHER_SINCE --node ${NODE_NAME}", want: []string{"node-logs", "--since", "2h", "--node", "node-a"}},
		{name: "allowed but empty", line: `x "$POD_NAME"`, want: []string{"x", ""}},
		{name: "variable not allowed", line: "inspect $HOME", wantErr: "variable $HOME is not allowed"},
		{name: "variable not allowed inside double quotes", line: `inspect "$PATH"`, wantErr: "variable $PATH is not allowed"},
		{name: "backticks stay literal", line: "inspect `rm -rf /`", want: []string{"inspect", "`rm -rf /`"}},
		{name: "dollar paren stays literal", line: "inspect $(reboot)", want: []string{"inspect", "$(reboot)"}},
		{name: "semicolon", line: "inspect a; reboot", wantErr: `unquoted ";" at column 10`},
		{name: "ampersand", line: "inspect a & b", wantErr: `unquoted "&"`},
		{name: "pipe", line: "inspect a | tee x", wantErr: `unquoted "|"`},
		{name: "redirect out", line: "inspect a > /etc/x", wantErr: `unquoted ">"`},
		{name: "redirect fd", line: "inspect a 2>/dev/null", wantErr: `unquoted ">" at column 12`},
		{name: "redirect in", line: "inspect < x", wantErr: `unquoted "<"`},
		{name: "quoted operators are text", line: `inspect "a;b" 'c|d' e\&f`, want: []string{"inspect", "a;b", "c|d", "e&f"}},
		{name: "unterminated quote", line: `inspect "abc`, wantErr: "invalid command line"},
		{name: "trailing comment", line: "inspect ns/a # the namespace", want: []string{"inspect", "ns/a"}},
		{name: "hash inside a word", line: "inspect a#b", want: []string{"inspect", "a#b"}},
		{name: "timeout prefix", line: "timeout 90s inspect clusteroperators", want: []string{"inspect", "clusteroperators"}, wantTimeout: 90 * time.Second},
		{name: "timeout bad duration", line: "timeout soon inspect x", wantErr: `timeout "soon" is not a positive duration`},
		{name: "timeout without command", line: "timeout 5m", wantErr: "timeout needs a duration and a command"},
		{name: "only a comment after all", line: "# nothing", wantErr: "empty command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, timeout, err := ParseLine(tc.line, vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseLine(%q) error = %v, want it to contain %q", tc.line, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tc.line, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if timeout != tc.wantTimeout {
				t.Errorf("timeout = %v, want %v", timeout, tc.wantTimeout)
			}
		})
	}
}

// summary is what the tests compare of a loaded step.
type summary struct {
	Name    string
	Args    []string
	Program string
	Timeout time.Duration
	Err     string
}

func summarize(steps []Step) []summary {
	var out []summary
	for _, s := range steps {
		sm := summary{Name: s.Name(), Args: s.Args, Program: s.Program, Timeout: s.Timeout}
		if s.Err != nil {
			sm.Err = s.Err.Error()
		}
		out = append(out, sm)
	}
	return out
}

func TestLoad(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"20-second":            {Data: []byte("# a comment\n\nversion\n  timeout 1m  inspect ns/a  \n")},
		"10-first":             {Data: []byte("inspect clusteroperators\n")},
		"30-broken":            {Data: []byte("good one\nbad; line\nlast $HOME\nfine\n")},
		"40-script":            {Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		"100-after-99":         {Data: []byte("late\n")},
		".hidden":              {Data: []byte("never\n")},
		"10-first~":            {Data: []byte("never\n")},
		"10-first.bak":         {Data: []byte("never\n")},
		"10-first.orig":        {Data: []byte("never\n")},
		"10-first.dpkg-old":    {Data: []byte("never\n")},
		"10-first.rpmnew":      {Data: []byte("never\n")},
		"10-first.rpmsave":     {Data: []byte("never\n")},
		"README":               {Data: []byte("not a step\n")},
		"50-dir/10-not-a-step": {Data: []byte("never\n")},
	}
	exec := func(e fs.DirEntry) (string, bool) {
		info, err := e.Info()
		if err != nil || info.Mode()&0o111 == 0 {
			return "", false
		}
		return "/gather.d/" + e.Name(), true
	}
	steps, warnings, err := Load(fsys, Vars{}, exec)
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{
		// Lexical (byte) order of names: "10-" < "100" < "20-".
		{Name: "10-first:1", Args: []string{"inspect", "clusteroperators"}},
		{Name: "100-after-99:1", Args: []string{"late"}},
		{Name: "20-second:3", Args: []string{"version"}},
		{Name: "20-second:4", Args: []string{"inspect", "ns/a"}, Timeout: time.Minute},
		{Name: "30-broken:1", Args: []string{"good", "one"}},
		{Name: "30-broken:2", Err: `30-broken line 2: unquoted ";" at column 4: pipes, redirections and command lists are not supported (quote it to pass it as text)`},
		{Name: "30-broken:3", Err: "30-broken line 3: variable $HOME is not allowed (allowed: MUST_GATHER_SINCE, MUST_GATHER_SINCE_TIME, NODE_NAME, POD_NAME, POD_NAMESPACE)"},
		{Name: "30-broken:4", Args: []string{"fine"}},
		{Name: "40-script", Program: "/gather.d/40-script"},
		{Name: "50-dir", Err: "50-dir is a directory, not a step file"},
	}
	if diff := cmp.Diff(want, summarize(steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ignoring README: a step file is named NN-name"}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestLoadFolders(t *testing.T) {
	t.Parallel()
	ours := fstest.MapFS{"10-inspect": {Data: []byte("inspect --cluster\n")}, "20-audit": {Data: []byte("audit-logs\n")}}
	theirs := fstest.MapFS{"10-inspect": {Data: []byte("inspect --api-group example.com\n")}, "notes": {Data: []byte("x\n")}}
	tests := []struct {
		name         string
		folders      []Folder
		want         []summary
		wantWarnings []string
	}{
		{
			name:    "one folder: names as they are",
			folders: []Folder{{FS: ours, Name: "/usr/share/gather/gather.d"}},
			want: []summary{
				{Name: "10-inspect:1", Args: []string{"inspect", "--cluster"}},
				{Name: "20-audit:1", Args: []string{"audit-logs"}},
			},
		},
		{
			name:    "theirs after ours",
			folders: []Folder{{FS: ours, Name: "/usr/share/gather/gather.d"}, {FS: theirs, Name: "/usr/share/example/gather.d"}},
			want: []summary{
				{Name: "/usr/share/gather/gather.d/10-inspect:1", Args: []string{"inspect", "--cluster"}},
				{Name: "/usr/share/gather/gather.d/20-audit:1", Args: []string{"audit-logs"}},
				{Name: "/usr/share/example/gather.d/10-inspect:1", Args: []string{"inspect", "--api-group", "example.com"}},
			},
			wantWarnings: []string{"/usr/share/example/gather.d: ignoring notes: a step file is named NN-name"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			steps, warnings, err := LoadFolders(tc.folders, Vars{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(steps)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
	// A folder that cannot be listed fails the load, naming it.
	notADir := fstest.MapFS{".": {Data: []byte("a file")}}
	_, _, err := LoadFolders([]Folder{{FS: ours, Name: "a"}, {FS: notADir, Name: "/b"}}, Vars{})
	if err == nil || !strings.HasPrefix(err.Error(), "reading gather.d folder /b: ") {
		t.Errorf("LoadFolders with an unlistable folder: error %v, want one naming /b", err)
	}
}

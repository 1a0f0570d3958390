package output

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSegment(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	longer := long + "b"
	tests := []struct {
		name, suffix string
		want         string // "": refused
		shortened    bool
	}{
		{name: "web-1", suffix: ".yaml", want: "web-1.yaml"},
		{name: "kube-system", want: "kube-system"},
		{name: "v1.apps", suffix: ".yaml", want: "v1.apps.yaml"},
		{name: "..", suffix: ".yaml"},
		{name: ".", suffix: ".yaml"},
		{name: "", suffix: ".yaml"},
		{name: "../../etc/passwd", suffix: ".yaml"},
		{name: "a/b"},
		{name: `a\b`},
		{name: "a\x00b"},
		{name: "..a", suffix: ".yaml", want: "..a.yaml"}, // a dot-name, not a parent
		{name: long, suffix: ".yaml", want: strings.Repeat("a", MaxName-len("-0123456789abcdef.yaml")) + "-", shortened: true},
	}
	for _, tc := range tests {
		got, short, err := Segment(tc.name, tc.suffix)
		switch {
		case tc.want == "":
			if !errors.Is(err, ErrBadName) {
				t.Errorf("Segment(%q) = %q, %v; want ErrBadName", tc.name, got, err)
			}
		case err != nil:
			t.Errorf("Segment(%q): %v", tc.name, err)
		case tc.shortened:
			if !short || len(got) != MaxName || !strings.HasPrefix(got, tc.want) || !strings.HasSuffix(got, tc.suffix) {
				t.Errorf("Segment(%d bytes) = %q (%d bytes, shortened %v), want %d bytes starting %q", len(tc.name), got, len(got), short, MaxName, tc.want)
			}
		case got != tc.want || short:
			t.Errorf("Segment(%q, %q) = %q, %v; want %q", tc.name, tc.suffix, got, short, tc.want)
		}
	}
	a, _, _ := Segment(long, ".yaml")
	b, _, _ := Segment(longer, ".yaml")
	if a == b {
		t.Errorf("two long names share the file %s", a)
	}
	u, _, err := Segment(strings.Repeat("é", 200), "")
	if err != nil || !strings.HasSuffix(u, "") || len(u) > MaxName || !utf8Valid(u) {
		t.Errorf("shortened multi-byte name %q (%d bytes): %v", u, len(u), err)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestUserPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "metrics.txt", want: "metrics.txt"},
		{in: "etcd/member-list.json", want: "etcd/member-list.json"},
		{in: "./etcd//status.json", want: "etcd/status.json"},
		{in: "etcd/", want: "etcd"},
		{in: "..a/b", want: "..a/b"},
		{in: "", wantErr: true},
		{in: ".", wantErr: true},
		{in: "./", wantErr: true},
		{in: "/etc/passwd", wantErr: true},
		{in: "../out", wantErr: true},
		{in: "a/../b", wantErr: true},
		{in: "a/..", wantErr: true},
		{in: `a\b`, wantErr: true},
		{in: "a\x00b", wantErr: true},
		{in: strings.Repeat("x", 300), wantErr: true},
	}
	for _, tc := range tests {
		got, err := UserPath(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("UserPath(%q) = %q, %v; want error %v", tc.in, got, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("UserPath(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1 << 20: "1.0 MiB", 5<<30 + 1<<29: "5.5 GiB",
	} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOutputFlag(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, wantErr string }{
		{in: "dir//a/./b.txt", want: "dir/a/b.txt"},
		{in: "", wantErr: "--output FILE is needed"},
		{in: "../o", wantErr: "--output: "},
		{in: "/etc/o", wantErr: "--output: "},
	}
	for _, tc := range tests {
		got, err := OutputFlag(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("OutputFlag(%q) = %q, %v; want an error starting %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("OutputFlag(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

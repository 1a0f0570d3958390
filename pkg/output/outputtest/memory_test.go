package outputtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/must-gather/toolkit/pkg/output"
)

// write does the same writes through any sink: plain, gzip, whole files,
// meta files, objects, lists, joined pieces, an aborted file, refused paths.
func write(t *testing.T, s *output.Sink) {
	t.Helper()
	secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "a"},
		"data": map[string]any{"k": base64.StdEncoding.EncodeToString([]byte("planted-secret-value"))}}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "b"},
		"data": map[string]any{"url": "http://u:planted-proxy-pass@h"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := s.Create("logs/current.log")
	must(err)
	_, err = io.WriteString(f, "line 1\n")
	must(err)
	must(f.Close())
	g, err := s.CreateGzip("audit/a.log.gz")
	must(err)
	_, err = g.Write(bytes.Repeat([]byte("event\n"), 1000))
	must(err)
	must(g.Close())
	must(s.WriteFile("whole", []byte("12345")))
	must(s.WriteMeta("version", []byte("v1\n")))
	must(s.WriteObject("ns/core/secrets/a.yaml", secret))
	l, err := s.CreateList("ns/core/things.yaml", "List")
	must(err)
	must(l.Add(secret))
	must(l.Add(cm))
	must(l.Close())
	empty, err := s.CreateList("ns/core/none.yaml", "PodList")
	must(err)
	must(empty.Close())
	var parts []*output.File
	for _, text := range []string{"a\n", "b\n"} {
		p, err := s.Create("host/unit.log")
		must(err)
		_, err = io.WriteString(p, text)
		must(err)
		parts = append(parts, p)
	}
	must(parts[0].Append(parts[1:]...))
	must(parts[0].Close())
	dropped, err := s.Create("dropped.log")
	must(err)
	_, err = io.WriteString(dropped, "partial")
	must(err)
	dropped.Abort()
	for _, bad := range []string{"../escape", "/abs", "a//b", ""} {
		if err := s.WriteFile(bad, []byte("x")); err == nil {
			t.Errorf("WriteFile(%q): no error", bad)
		}
	}
}

// The memory store keeps exactly the bytes the disk store does, for the
// same writes: the rules (redaction included) are the sink's, not the
// store's.
func TestMemoryMatchesDisk(t *testing.T) {
	t.Parallel()
	disk, err := output.New(filepath.Join(t.TempDir(), "dest"), output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, disk)
	mem, m := New(output.Options{})
	write(t, mem)

	want := ReadTree(t, disk.Root(), false)
	if diff := cmp.Diff(want, m.Files()); diff != "" {
		t.Errorf("memory files (-disk +memory):\n%s", diff)
	}
	wantPaths := []string{"audit/a.log.gz", "host/unit.log", "logs/current.log", "ns/core/none.yaml",
		"ns/core/secrets/a.yaml", "ns/core/things.yaml", "version", "whole"}
	if diff := cmp.Diff(wantPaths, m.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for p, content := range m.Files() {
		for _, planted := range []string{"planted-secret-value", "planted-proxy-pass"} {
			if strings.Contains(content, planted) || strings.Contains(content, base64.StdEncoding.EncodeToString([]byte(planted))) {
				t.Errorf("%s leaks %q", p, planted)
			}
		}
	}
	raw, _ := m.Read("audit/a.log.gz")
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != strings.Repeat("event\n", 1000) {
		t.Errorf("gzip round trip: %d bytes, %v", len(got), err)
	}
	if disk.Total().Files() != mem.Total().Files() || disk.Total().Bytes() != mem.Total().Bytes() {
		t.Errorf("counted: disk %d files %d bytes, memory %d files %d bytes",
			disk.Total().Files(), disk.Total().Bytes(), mem.Total().Files(), mem.Total().Bytes())
	}
}

// A file shows only once closed; the run log shows as it grows; FS reads
// back what was committed.
func TestMemoryVisibility(t *testing.T) {
	t.Parallel()
	s, m := New(output.Options{})
	f, err := s.Create("a/b.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(f, "x"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Read("a/b.log"); ok {
		t.Error("file visible before Close")
	}
	log, err := s.AppendMeta("gather.logs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(log, "started\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.Read("gather.logs"); string(b) != "started\n" {
		t.Errorf("run log while open = %q", b)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = fs.WalkDir(s.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"a/b.log", "gather.logs"}, got); diff != "" {
		t.Errorf("FS (-want +got):\n%s", diff)
	}
	if s.Root() != "" {
		t.Errorf("Root() = %q for memory, want empty", s.Root())
	}
}

// The disk guard is the sink's: it holds for the memory store too.
func TestMemoryDiskGuard(t *testing.T) {
	t.Parallel()
	s, m := New(output.Options{VolumePercentage: 70, Usage: func(string) (float64, error) { return 80, nil }})
	if err := s.WriteFile("data", []byte("x")); !errors.Is(err, output.ErrVolumeFull) {
		t.Errorf("write over the limit: error %v, want ErrVolumeFull", err)
	}
	if err := s.WriteMeta("manifest", []byte("{}")); err != nil {
		t.Errorf("meta write: %v", err)
	}
	if diff := cmp.Diff([]string{"manifest"}, m.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// A container log cut to --max-log-size in memory too: the ring is a
// temporary file, the kept tail lands in the store, nothing else does.
func TestMemoryLogTail(t *testing.T) {
	t.Parallel()
	sink, mem := New(output.Options{MaxLogSize: 30})
	f, err := sink.CreateLog("pod.log")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := f.Write([]byte(strings.Repeat(string(rune('a'+i)), 9) + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pod.log": "hhhhhhhhh\niiiiiiiii\njjjjjjjjj\n"}
	if diff := cmp.Diff(want, mem.Files()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&output.Cut{Path: "pod.log", OriginalBytes: 100, KeptBytes: 30, Reason: output.CutMaxLogSize}, f.Cut()); diff != "" {
		t.Errorf("cut (-want +got):\n%s", diff)
	}
}

package e2e

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/test/clustertest"
)

// writeRandom is a gather command for the shell image: three files of
// 100,000 random bytes (they do not compress), which no two parts of
// 160Ki can share.
const writeRandom = `mkdir -p /must-gather/data && for i in 1 2 3; do head -c 100000 /dev/urandom > /must-gather/data/f$i; done`

// The client archives its result beside the folder; with a part size
// that forces it, in 3 parts that each open on their own (tar -tzf) and
// together hold every file of the folder. --archive=false writes none.
func TestClientArchiveParts(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	bin := clientBinary(t, gatherImage(t))
	img := shellImage(t)
	var parts, none *clientRun
	var wg sync.WaitGroup
	wg.Go(func() {
		parts = runClient(t, bin, 4*time.Minute, "--image", img, "--timeout", "3m", "--max-part-size", "160Ki", "--", "/bin/bash", "-c", writeRandom)
	})
	wg.Go(func() {
		none = runClient(t, bin, 4*time.Minute, "--image", img, "--timeout", "3m", "--archive=false", "--", "/bin/bash", "-c", writeRandom)
	})
	wg.Wait()
	t.Logf("kubectl-must_gather took %s (parts), %s (--archive=false)", parts.took, none.took)
	for _, r := range []*clientRun{parts, none} {
		if r.code != cli.ExitOK {
			t.Fatalf("exit code %d (%v), want 0\nstderr:\n%s", r.code, r.err, r.stderr.String())
		}
	}

	if left, _ := filepath.Glob(none.dest + "*.tar.gz"); len(left) != 0 {
		t.Errorf("--archive=false wrote %v", left)
	}

	dest := parts.dest
	file := bundle.ArchiveName(dest)
	var want []string
	for i := 1; i <= 3; i++ {
		want = append(want, bundle.PartName(file, i))
	}
	got, err := filepath.Glob(dest + "*.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("archive files (-want +got):\n%s\nstderr:\n%s", diff, parts.stderr.String())
	}
	stderr := parts.stderr.String()
	if !strings.Contains(stderr, "archive: "+strings.Join(want, " ")+", ") || !strings.Contains(stderr, ", 3 part(s), ") {
		t.Errorf("stderr does not give the archive's parts, size and count:\n%s", stderr)
	}

	// Every regular file of the folder, as the archives name them.
	var files []string
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(filepath.Dir(dest), p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, p := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), "tar", "-tzf", p).CombinedOutput()
		if err != nil {
			t.Fatalf("tar -tzf %s: %v\n%s", p, err, out)
		}
		t.Logf("%s: %d bytes, %d entries", filepath.Base(p), fi.Size(), strings.Count(string(out), "\n"))
		if fi.Size() > 160<<10 {
			t.Errorf("%s is %d bytes, above --max-part-size 160Ki", p, fi.Size())
		}
		for _, name := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if !strings.HasSuffix(name, "/") {
				listed = append(listed, name)
			}
		}
	}
	sort.Strings(files)
	sort.Strings(listed)
	// must-gather.logs is archived as it was then: it is in the listing,
	// and it holds the archive's own line only in the folder.
	if diff := cmp.Diff(files, listed); diff != "" {
		t.Errorf("the parts together vs the folder (-folder +parts):\n%s", diff)
	}

	// Opened from its first part, the bundle holds the gathered data.
	b, err := bundle.Open(t.Context(), want[0], t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	folder, err := filepath.Rel(dest, imageFolder(t, dest))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		name := filepath.ToSlash(filepath.Join(folder, "data", "f"+string(rune('0'+i))))
		data, err := fs.ReadFile(b, name)
		if err != nil {
			t.Errorf("reading %s from the parts: %v", name, err)
			continue
		}
		if len(data) != 100000 || string(data) != read(t, filepath.Join(dest, filepath.FromSlash(name))) {
			t.Errorf("%s from the parts differs from the folder's", name)
		}
	}
}

// gather --archive-file (the podman flow) archives the result outside
// --dest-dir, in parts with --max-part-size, that together hold every file.
func TestGatherArchiveFile(t *testing.T) {
	t.Parallel()
	ns := clustertest.Namespace(t)
	steps := t.TempDir()
	if err := os.WriteFile(filepath.Join(steps, "10-ns"), []byte("inspect ns/"+ns+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	dest := filepath.Join(out, "must-gather")
	file := filepath.Join(out, "bundle.tar.gz")
	cmd := exec.CommandContext(t.Context(), gatherBinary(t), "--dest-dir", dest, "--gather-dir", steps, "--kubeconfig", kubeconfigPath(t),
		"--timeout", "2m", "--archive-file", file, "--max-part-size", "64Ki")
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gather: %v\n%s", err, stderr)
	}
	b, err := bundle.Open(t.Context(), file, t.TempDir())
	if errors.Is(err, fs.ErrNotExist) {
		// In parts: from the first.
		b, err = bundle.Open(t.Context(), bundle.PartName(file, 1), t.TempDir())
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	defer b.Close()
	if !strings.Contains(string(stderr), "archive: "+strings.Join(b.Parts, " ")+", ") {
		t.Errorf("stderr does not give the archive's parts %v:\n%s", b.Parts, stderr)
	}
	t.Logf("%d part(s)", len(b.Parts))
	n := 0
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		got, rerr := fs.ReadFile(b, filepath.ToSlash(rel))
		switch {
		case rerr != nil:
			t.Errorf("%s is not in the archive: %v", rel, rerr)
		case string(got) != read(t, p):
			t.Errorf("%s differs in the archive", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(b, "gather-manifest.json"); err != nil || n < 5 {
		t.Errorf("the result has %d files, its manifest in the archive: %v", n, err)
	}
}

// Package release tests `make release-artifacts`: it runs apart from the
// e2e tests, since its first run cross-compiles for minutes.
package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/test/binfmt"
	"github.com/must-gather/toolkit/test/clustertest"
	"github.com/must-gather/toolkit/test/docs"
)

// krewPlugin is the part of a krew manifest (v1alpha2) krew reads to
// install a plugin, written out here from krew's documentation rather than
// taken from the generator, so the test checks the generator against it.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

// `make release-artifacts`, as docs/release.md shows it, writes an archive
// per platform whose binary is an executable of that platform's format and
// architecture (read from its header, never run), sha256sums.txt that
// matches the archives, and a krew manifest naming each client archive with
// its checksum, for the six client platforms. Run twice, it writes the same
// bytes.
func TestReleaseArtifacts(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles ten binaries")
	}
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(readBytes(t, filepath.Join(root, "VERSION"))))
	text := documented(t, "docs/release.md", "make release-artifacts")
	out := filepath.Join(root, "_output", "release")
	run := func() map[string]string {
		t.Logf("$ %s", text)
		cmd := exec.CommandContext(t.Context(), "bash", "-c", text)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", text, err, out)
		}
		return readSums(t, filepath.Join(out, "sha256sums.txt"))
	}
	sums := run()

	type platform struct{ os, arch string }
	want := map[string]platform{}
	for _, p := range []platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"}} {
		ext := ".tar.gz"
		if p.os == "windows" {
			ext = ".zip"
		}
		want[fmt.Sprintf("kubectl-must_gather_%s_%s-%s%s", version, p.os, p.arch, ext)] = p
	}
	for _, arch := range []string{"amd64", "arm64", "ppc64le", "s390x"} {
		want[fmt.Sprintf("gather_%s_linux-%s.tar.gz", version, arch)] = platform{"linux", arch}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(sums))); diff != "" {
		t.Fatalf("sha256sums.txt names (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want)+2 {
		t.Errorf("%s holds %d entries, want the %d archives, sha256sums.txt and must-gather.yaml", out, len(entries), len(want))
	}

	for name, p := range want {
		data := readBytes(t, filepath.Join(out, name))
		if got := sha256hex(data); got != sums[name] {
			t.Errorf("%s: sha256 %s, sha256sums.txt says %s", name, got, sums[name])
		}
		bin, exe := unpackOne(t, name, data)
		wantExe := strings.SplitN(name, "_"+version, 2)[0]
		if p.os == "windows" {
			wantExe += ".exe"
		}
		if exe != wantExe {
			t.Errorf("%s holds %q, want %q", name, exe, wantExe)
		}
		if got, err := binfmt.Platform(bytes.NewReader(bin)); err != nil || got != p.os+"/"+p.arch {
			t.Errorf("%s: the binary is for %q (%v), want %s/%s", name, got, err, p.os, p.arch)
		}
	}

	var m krewPlugin
	if err := yaml.UnmarshalStrict(readBytes(t, filepath.Join(out, "must-gather.yaml")), &m); err != nil {
		t.Fatalf("the krew manifest: %v", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "must-gather" || m.Spec.Version != "v"+version {
		t.Errorf("the krew manifest is %s %s %s version %s, want a v1alpha2 Plugin must-gather v%s", m.APIVersion, m.Kind, m.Metadata.Name, m.Spec.Version, version)
	}
	covered := map[platform]bool{}
	for _, pl := range m.Spec.Platforms {
		name := pl.URI[strings.LastIndex(pl.URI, "/")+1:]
		p, ok := want[name]
		switch {
		case !ok || !strings.HasPrefix(name, "kubectl-must_gather_"):
			t.Errorf("the krew manifest names %s, not a client archive", pl.URI)
			continue
		case pl.Sha256 != sums[name]:
			t.Errorf("the krew manifest gives %s the sha256 %s, sha256sums.txt %s", name, pl.Sha256, sums[name])
		case pl.Selector.MatchLabels["os"] != p.os || pl.Selector.MatchLabels["arch"] != p.arch:
			t.Errorf("the krew manifest selects %s with %v, want os %s arch %s", name, pl.Selector.MatchLabels, p.os, p.arch)
		case pl.Bin != "kubectl-must_gather" && pl.Bin != "kubectl-must_gather.exe":
			t.Errorf("the krew manifest's bin for %s is %q", name, pl.Bin)
		}
		if !strings.HasPrefix(pl.URI, "https://") || !strings.Contains(pl.URI, "/v"+version+"/") {
			t.Errorf("the krew manifest's uri %s is not an https URL of release v%s", pl.URI, version)
		}
		covered[p] = true
	}
	if len(covered) != 6 || len(m.Spec.Platforms) != 6 {
		t.Errorf("the krew manifest covers %d platforms in %d entries, want the 6 client platforms once each", len(covered), len(m.Spec.Platforms))
	}

	if again := run(); !cmp.Equal(sums, again) {
		t.Errorf("a second run wrote other archives (-first +second):\n%s", cmp.Diff(sums, again))
	}

	// krew itself reads the manifest: it installs the client from its
	// archive (checking the checksum), and kubectl runs it as a plugin.
	bin := t.TempDir()
	gobin := exec.CommandContext(t.Context(), "go", "install", "sigs.k8s.io/krew/cmd/krew@"+krewVersion)
	gobin.Dir, gobin.Env = bin, append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
	if out, err := gobin.CombinedOutput(); err != nil {
		t.Fatalf("installing krew %s: %v\n%s", krewVersion, err, out)
	}
	if err := os.Rename(filepath.Join(bin, "krew"), filepath.Join(bin, "kubectl-krew")); err != nil {
		t.Fatal(err)
	}
	krewRoot := t.TempDir()
	env := append(os.Environ(), "KREW_ROOT="+krewRoot,
		"PATH="+strings.Join([]string{bin, filepath.Join(krewRoot, "bin"), filepath.Dir(clustertest.Kubectl(t)), os.Getenv("PATH")}, string(os.PathListSeparator)))
	for _, text := range []string{documented(t, "docs/release.md", "kubectl krew install --manifest"), "kubectl must-gather --help"} {
		t.Logf("$ %s", text)
		cmd := exec.CommandContext(t.Context(), "bash", "-c", text)
		cmd.Dir, cmd.Env = out, env
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", text, err, got)
		}
		if strings.HasPrefix(text, "kubectl must-gather") && !strings.Contains(string(got), "kubectl-must_gather") {
			t.Errorf("%s printed no usage of kubectl-must_gather:\n%s", text, got)
		}
	}
}

// krewVersion is the krew the test installs, from the Go module proxy.
const krewVersion = "v0.4.3"

// documented returns the text of the one command of file (relative to the
// repository root) that starts with prefix: the test runs it as written.
func documented(t *testing.T, file, prefix string) string {
	t.Helper()
	root, err := clustertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	c, err := docs.Find(root, file, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c.Text
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readSums reads the sha256sum format: "<hex>  <name>" per line.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("%s: %q is not a sha256sum line", path, sc.Text())
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

// unpackOne returns the one file of a .tar.gz or .zip archive and its name.
func unpackOne(t *testing.T, name string, data []byte) ([]byte, string) {
	t.Helper()
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(zr.File) != 1 {
			t.Fatalf("%s: %d files (%v), want one", name, len(zr.File), err)
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		bin, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return bin, zr.File[0].Name
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if hdr.Mode&0o111 == 0 {
		t.Errorf("%s: %s is not executable (mode %o)", name, hdr.Name, hdr.Mode)
	}
	bin, err := io.ReadAll(tr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("%s holds more than one file (%v)", name, err)
	}
	return bin, hdr.Name
}

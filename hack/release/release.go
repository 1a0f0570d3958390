package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// ClientPlatforms are where people run kubectl and its plugins.
var ClientPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// GatherPlatforms are the architectures OpenShift and Kubernetes nodes run on.
var GatherPlatforms = []string{"linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"}

const (
	client       = "kubectl-must_gather"
	gather       = "gather"
	pluginName   = "must-gather"
	SumsFile     = "sha256sums.txt"
	ManifestFile = pluginName + ".yaml"
)

type options struct {
	Version string
	LDFlags string
	Out     string
	Epoch   int64
	URL     string
	Clients []string
	Gathers []string
}

// artifact is one archive: a binary built for one platform.
type artifact struct {
	Binary, OS, Arch string
}

// exe is the binary's file name on its platform.
func (a artifact) exe() string {
	if a.OS == "windows" {
		return a.Binary + ".exe"
	}
	return a.Binary
}

// Archive is the archive's file name:
// kubectl-must_gather_0.1.0_linux-amd64.tar.gz, ..._windows-amd64.zip.
func (a artifact) Archive(version string) string {
	ext := ".tar.gz"
	if a.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s-%s%s", a.Binary, version, a.OS, a.Arch, ext)
}

func artifacts(o options) ([]artifact, error) {
	var list []artifact
	for _, set := range []struct {
		binary    string
		platforms []string
	}{{client, o.Clients}, {gather, o.Gathers}} {
		for _, p := range set.platforms {
			goos, goarch, ok := strings.Cut(p, "/")
			if !ok || goos == "" || goarch == "" {
				return nil, fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", p)
			}
			list = append(list, artifact{Binary: set.binary, OS: goos, Arch: goarch})
		}
	}
	return list, nil
}

// Write builds every artifact of o into o.Out (emptied first) and returns
// the files written, in order.
func Write(ctx context.Context, o options) ([]string, error) {
	if o.Version == "" || strings.HasPrefix(o.Version, "v") {
		return nil, fmt.Errorf("version %q: want the version of VERSION, e.g. 0.1.0", o.Version)
	}
	list, err := artifacts(o)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	build := filepath.Join(o.Out, ".build")
	if err := os.MkdirAll(build, 0o750); err != nil {
		return nil, err
	}
	sums := map[string]string{}
	var files []string
	for _, a := range list {
		bin := filepath.Join(build, a.OS+"-"+a.Arch, a.exe())
		if err := goBuild(ctx, a, o.LDFlags, bin); err != nil {
			return nil, err
		}
		name := a.Archive(o.Version)
		sum, err := pack(a, bin, filepath.Join(o.Out, name), time.Unix(o.Epoch, 0).UTC())
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", name, err)
		}
		sums[name] = sum
		files = append(files, name)
	}
	if err := os.RemoveAll(build); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, SumsFile), sumsText(sums), 0o640); err != nil {
		return nil, err
	}
	m, err := krewManifest(o, list, sums)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, ManifestFile), m, 0o640); err != nil {
		return nil, err
	}
	return append(files, SumsFile, ManifestFile), nil
}

// goBuild cross-compiles a's binary, static, from the module this runs in.
func goBuild(ctx context.Context, a artifact, ldflags, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "./cmd/"+a.Binary)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+a.OS, "GOARCH="+a.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s for %s/%s: %w\n%s", a.Binary, a.OS, a.Arch, err, out)
	}
	return nil
}

// pack writes the archive of one binary, the same bytes for the same
// binary and time, and returns its sha256.
func pack(a artifact, bin, dst string, mtime time.Time) (string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if a.OS == "windows" {
		err = writeZip(&buf, a.exe(), data, mtime)
	} else {
		err = writeTarGz(&buf, a.exe(), data, mtime)
	}
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o640); err != nil {
		return "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

func writeTarGz(w io.Writer, name string, data []byte, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	return errors.Join(tw.Close(), gz.Close())
}

func writeZip(w io.Writer, name string, data []byte, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
	hdr.SetMode(0o755)
	f, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return zw.Close()
}

// sumsText is the sha256sum format: "<hex>  <name>", sorted by name.
func sumsText(sums map[string]string) []byte {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return []byte(b.String())
}

// Plugin is a krew plugin manifest (krew.googlecontainertools.github.com/v1alpha2).
type Plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec PluginSpec `json:"spec"`
}

type PluginSpec struct {
	Version          string     `json:"version"`
	Homepage         string     `json:"homepage"`
	ShortDescription string     `json:"shortDescription"`
	Description      string     `json:"description"`
	Platforms        []Platform `json:"platforms"`
}

type Platform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	Sha256 string `json:"sha256"`
	Files  []File `json:"files"`
	Bin    string `json:"bin"`
}

type File struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func krewManifest(o options, list []artifact, sums map[string]string) ([]byte, error) {
	p := Plugin{APIVersion: "krew.googlecontainertools.github.com/v1alpha2", Kind: "Plugin"}
	p.Metadata.Name = pluginName
	p.Spec = PluginSpec{
		Version:          "v" + o.Version,
		Homepage:         "https://github.com/must-gather/toolkit",
		ShortDescription: "Gather debugging data from a cluster in one run",
		Description: "Runs a must-gather image (ours by default, or any must-gather-compatible one) in a\n" +
			"temporary namespace, copies its result back as a folder and a .tar.gz, cleans up,\n" +
			"and gathers from where it runs when no pod can run. Works on Kubernetes and OpenShift.\n",
	}
	for _, a := range list {
		if a.Binary != client {
			continue
		}
		name := a.Archive(o.Version)
		pl := Platform{URI: o.URL + "/" + name, Sha256: sums[name], Bin: a.exe(), Files: []File{{From: a.exe(), To: "."}}}
		pl.Selector.MatchLabels = map[string]string{"os": a.OS, "arch": a.Arch}
		p.Spec.Platforms = append(p.Spec.Platforms, pl)
	}
	return yaml.Marshal(p)
}

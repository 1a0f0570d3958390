package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/must-gather/toolkit/test/clustertest"
)

// shellGather is /usr/bin/gather of the shell image: an image that is not
// ours, as most must-gather images are shell scripts. It writes
// /must-gather/shell/started, then sleeps $1 seconds when $1 is a number
// (ignoring SIGTERM when $2 is "ignore-term"), then writes done.
const shellGather = `#!/bin/bash
[ "$2" = ignore-term ] && trap '' TERM
mkdir -p /must-gather/shell
date > /must-gather/shell/started
echo "shell gather: started"
case "$1" in
  ''|*[!0-9]*) ;;
  *) sleep "$1" ;;
esac
date > /must-gather/shell/done
echo "shell gather: done"
`

var (
	shellImageOnce sync.Once
	shellImageRef  string
)

// shellImage is an image of Debian's static bash and busybox (the userland
// oc's wrapper and our volume guard need: bash, df, awk, sleep, tar, sync)
// with shellGather as /usr/bin/gather, loaded into the node once.
func shellImage(t *testing.T) string {
	t.Helper()
	shellImageOnce.Do(func() {
		for _, f := range []string{"/bin/bash-static", "/bin/busybox"} {
			if _, err := os.Stat(f); err != nil {
				t.Skipf("the shell image needs %s (hack/install-deps.sh installs it)", f)
			}
		}
		ref := "localhost/mgtk/shell-gather:e2e-" + randomSuffix()
		archive := filepath.Join(t.TempDir(), "shell.tar")
		if err := writeShellImage(archive, ref); err != nil {
			t.Fatal(err)
		}
		clustertest.LoadImage(t, archive)
		shellImageRef = ref
	})
	if shellImageRef == "" {
		t.Fatal("the shell image could not be made (see the first test that tried)")
	}
	return shellImageRef
}

// writeShellImage writes a docker archive (what `docker save` writes and
// `ctr images import` reads) of one layer.
func writeShellImage(archive, ref string) error {
	bash, err := os.ReadFile("/bin/bash-static")
	if err != nil {
		return err
	}
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return err
	}
	applets, err := exec.Command("/bin/busybox", "--list-full").Output()
	if err != nil {
		return err
	}
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	add := func(h *tar.Header, data []byte) error {
		h.Size = int64(len(data))
		h.Format = tar.FormatPAX
		if err := lw.WriteHeader(h); err != nil {
			return err
		}
		_, err := lw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "usr", "usr/bin", "sbin", "usr/sbin", "tmp", "must-gather"} {
		if err := add(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}, nil); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		data []byte
	}{{"bin/bash", bash}, {"bin/busybox", busybox}, {"usr/bin/gather", []byte(shellGather)}}
	for _, f := range files {
		if err := add(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o755}, f.data); err != nil {
			return err
		}
	}
	for _, a := range strings.Fields(string(applets)) {
		if a == "bin/bash" || a == "bin/busybox" || a == "usr/bin/gather" {
			continue
		}
		if err := add(&tar.Header{Name: a, Typeflag: tar.TypeSymlink, Linkname: "/bin/busybox", Mode: 0o777}, nil); err != nil {
			return err
		}
	}
	if err := lw.Close(); err != nil {
		return err
	}
	sum := sha256.Sum256(layer.Bytes())
	layerID := hex.EncodeToString(sum[:])
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Cmd": []string{"/usr/bin/gather"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
	})
	if err != nil {
		return err
	}
	csum := sha256.Sum256(config)
	configName := hex.EncodeToString(csum[:]) + ".json"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{ref}, "Layers": []string{layerID + ".tar"}}})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	aw := tar.NewWriter(&out)
	for _, e := range []struct {
		name string
		data []byte
	}{{configName, config}, {layerID + ".tar", layer.Bytes()}, {"manifest.json", manifest}} {
		if err := aw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.data))}); err != nil {
			return err
		}
		if _, err := aw.Write(e.data); err != nil {
			return err
		}
	}
	if err := aw.Close(); err != nil {
		return err
	}
	return os.WriteFile(archive, out.Bytes(), 0o644)
}

package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
)

// writeImageArchive writes a docker archive (the `docker save` format) of an
// image whose only file is the static binary, at /<entry>, which is also its
// entrypoint. No registry is reachable here, so this is how test images are
// made; `ctr images import` and `podman load` accept the result, and it is
// byte-reproducible for the same binary.
func writeImageArchive(binary, entry, ref, out string) error {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	layer, err := tarOf([]tarEntry{{name: entry, mode: 0o755, data: bin}})
	if err != nil {
		return err
	}
	layerSum := sha256.Sum256(layer)
	layerID := hex.EncodeToString(layerSum[:])
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      "1970-01-01T00:00:00Z",
		"config":       map[string]any{"Entrypoint": []string{"/" + entry}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
	})
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest, err := json.Marshal([]map[string]any{{
		"Config":   configName,
		"RepoTags": []string{ref},
		"Layers":   []string{layerID + "/layer.tar"},
	}})
	if err != nil {
		return err
	}
	archive, err := tarOf([]tarEntry{
		{name: configName, mode: 0o644, data: config},
		{name: layerID + "/layer.tar", mode: 0o644, data: layer},
		{name: "manifest.json", mode: 0o644, data: manifest},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(out, archive, 0o644)
}

type tarEntry struct {
	name string
	mode int64
	data []byte
}

// tarOf makes a tar stream with fixed times and owners (reproducible).
func tarOf(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// loadImage imports an OCI or docker archive into the node's containerd, in
// the namespace the kubelet uses.
func (c *Config) loadImage(ctx context.Context, archive string) error {
	if _, err := os.Stat(c.ContainerdSocket()); err != nil {
		return fmt.Errorf("the test cluster has no node running (no %s): start it with `make cluster-up CLUSTER_NODE=1`", c.ContainerdSocket())
	}
	_, err := run(ctx, "ctr", "--address", c.ContainerdSocket(), "--namespace", "k8s.io",
		"images", "import", "--snapshotter", "overlayfs", archive)
	return err
}

package builtin

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/must-gather/toolkit/pkg/output"
)

// A collector run alone gets the same final leak scan as a gather run: a
// Secret value it wrote past the sink's rules (here straight to a file) is
// redacted in place and logged, never its value.
func TestRunAlone(t *testing.T) {
	t.Parallel()
	const value = "planted-alone-secret-value"
	dir := filepath.Join(t.TempDir(), "out")
	var log bytes.Buffer
	env := &Env{Log: &log}
	collectorErr := errors.New("one type failed")
	err := RunAlone(context.Background(), dir, output.Options{VolumePercentage: 100}, env, func(_ context.Context, env *Env) error {
		secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"},
			"data": map[string]any{"k": base64.StdEncoding.EncodeToString([]byte(value))}}
		if err := env.Sink.WriteObject("secret.yaml", secret); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(env.Sink.Root(), "leaked.txt"), []byte("token: "+value+"\n"), 0o600); err != nil {
			return err
		}
		return collectorErr
	})
	if !errors.Is(err, collectorErr) {
		t.Errorf("RunAlone() = %v, want the collector's error", err)
	}
	if env.Sink == nil || env.Sink.Total().Files() == 0 {
		t.Fatalf("env.Sink %v: no file counted", env.Sink)
	}
	for _, name := range []string{"secret.yaml", "leaked.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(value)) {
			t.Errorf("%s still holds the value:\n%s", name, b)
		}
	}
	if !strings.Contains(log.String(), "leak scan: ") || !strings.Contains(log.String(), "leaked.txt") || strings.Contains(log.String(), value) {
		t.Errorf("log does not name the leak without its value:\n%s", log.String())
	}
}

func TestRunAloneNoDestination(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := &Env{Log: &bytes.Buffer{}}
	ran := false
	err := RunAlone(context.Background(), filepath.Join(file, "below"), output.Options{VolumePercentage: 100}, env, func(context.Context, *Env) error {
		ran = true
		return nil
	})
	if err == nil || env.Sink != nil || ran {
		t.Errorf("RunAlone below a file: error %v, sink %v, collector ran %v; want an error, no sink, no run", err, env.Sink, ran)
	}
}

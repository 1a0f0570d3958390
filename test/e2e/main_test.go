package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if gatherBinPath != "" {
		_ = os.RemoveAll(filepath.Dir(gatherBinPath))
	}
	os.Exit(code)
}

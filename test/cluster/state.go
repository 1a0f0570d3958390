package main

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// What up records in the state directory for the commands that act on the
// running cluster later.

func (c *Config) configFile() string { return c.path("config.json") }

// loadRunning reads the configuration a running (or stopped) cluster was
// started with, so down and load-image act on what up created.
func loadRunning(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var c Config
	return &c, json.Unmarshal(b, &c)
}

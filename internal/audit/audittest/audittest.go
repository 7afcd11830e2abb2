// Package audittest loads a configuration for the audit's tests as every
// outlast command loads it (cmd/outlast's loadConfig): config.Load, then
// zone.Check, which fills a zone's ns from its file's apex NS records. Only
// tests import it.
package audittest

import (
	"os"
	"path/filepath"
	"testing"

	"outlast/internal/config"
	"outlast/internal/zone"
)

// LoadNode writes the node's configuration as outlast.yaml, and each of
// files (name → text, a zone file say) beside it, in a fresh directory,
// and loads it; an error fails the test.
func LoadNode(t testing.TB, nodeConfig string, files map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("outlast.yaml", nodeConfig)
	for name, text := range files {
		write(name, text)
	}
	cfg, err := config.Load(filepath.Join(dir, "outlast.yaml"))
	if err == nil {
		err = zone.Check(cfg)
	}
	if err != nil {
		t.Fatalf("loading the configuration: %v", err)
	}
	return cfg
}

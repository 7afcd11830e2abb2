// Package nodetest starts real nodes for the tests of other packages (the
// drill, outlast import): one way to start a node on loopback and stop it
// when the test ends. Only tests import it; internal/node's own tests have
// their own helper, since they cannot import this package.
package nodetest

import (
	"context"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/node"
)

// Start runs a node of cfg and stops it when the test ends, failing the
// test if it cannot start, or does not stop within ten seconds.
func Start(t testing.TB, cfg *config.Config) *node.Node {
	t.Helper()
	n, err := node.New(cfg, node.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Stop(ctx); err != nil {
			t.Errorf("stopping node %s: %v", cfg.Node.Name, err)
		}
	})
	return n
}

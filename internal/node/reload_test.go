package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
)

func TestReload(t *testing.T) {
	port := freePort(t)
	startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port))
	cfg := testConfig(t, port)
	n := startNode(t, cfg)
	waitForVerdict(t, n, "primary", "up", 5*time.Second)

	// Add a service: it answers at once, and the primary's verdict carries over.
	text := configText(port) + fmt.Sprintf(`
  - name: www.example.test
    check: {type: tcp, port: %d}
    endpoints:
      - {name: www1, location: gcp/us-central1, addresses: [%s]}
`, port, secondaryAddr)
	next, err := config.Parse("next.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Reload(next); err != nil {
		t.Fatalf("reload: %v", err)
	}
	waitForQuery(t, n, "www.example.test.", secondaryAddr, 5*time.Second)
	if h := healthOf(t, n, "primary"); h != "up" {
		t.Errorf("primary's verdict should carry over the reload as up, the API says %q", h)
	}

	// Moving a listener needs a restart: refused, and nothing changes.
	moved, err := config.Parse("moved.yaml", []byte(strings.Replace(configText(port), `dns: {listen: "127.0.0.1:0"}`, `dns: {listen: "127.0.0.1:5353"}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Reload(moved); !errors.Is(err, ErrLocalChanged) {
		t.Errorf("reload moving dns.listen: got %v, want ErrLocalChanged", err)
	}
	proxied, err := config.Parse("proxied.yaml", []byte(configText(port)+"proxy: {listen: 127.0.0.1:0, routes: [{host: www.example.test, service: api.example.test}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Reload(proxied); !errors.Is(err, ErrLocalChanged) {
		t.Errorf("reload adding a proxy: got %v, want ErrLocalChanged", err)
	}
	if a, ok := answers(t, n, "www.example.test.", secondaryAddr); !ok {
		t.Errorf("a refused reload must leave the running config: www answers %s", a)
	}

	// A broken file is reported and changes nothing.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("zones: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadFile(bad); err == nil {
		t.Error("ReloadFile of a broken file must fail")
	}
	if a, ok := answers(t, n, "www.example.test.", secondaryAddr); !ok {
		t.Errorf("after a failed reload www answers %s, want %s", a, secondaryAddr)
	}
	if v := metricValue(t, n, "outlast_config_last_reload_successful"); v != 0 {
		t.Errorf("outlast_config_last_reload_successful = %v after a failed reload, want 0", v)
	}
}

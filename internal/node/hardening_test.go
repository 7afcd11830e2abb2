package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/errtest"
	"outlast/internal/state"
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

const (
	readToken  = "olt_read-token-for-node-tests"
	adminToken = "olt_admin-token-for-node-tests"
)

func tokenLine(name, scope, token string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf("    - {name: %s, scope: %s, sha256: %s}\n", name, scope, hex.EncodeToString(sum[:]))
}

// privateConfig is the test configuration with tokens and no public reads.
func privateConfig(t *testing.T, port int, tokens ...string) *config.Config {
	t.Helper()
	api := "api:\n  public_status: false\n  tokens:\n" + strings.Join(tokens, "")
	text := strings.Replace(configText(port), "api: {public_status: true}\n", api, 1)
	cfg, err := config.Parse("private.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// get requests path from the node with an optional bearer token and Host.
func get(t *testing.T, n *Node, path, token, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+n.HTTPAddr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestHealthzSaysOnlyReadiness: /healthz is what a load balancer needs,
// for anyone, and nothing more (defect 11 of issue 12 was endpoints,
// addresses and probe errors in it for anyone); the details are the API's,
// behind a token. The listener answers no foreign Host (DNS rebinding).
func TestHealthzSaysOnlyReadiness(t *testing.T) {
	port := freePort(t)
	startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	n := startNode(t, privateConfig(t, port, tokenLine("grafana", "read", readToken)))
	waitForAnswer(t, n, primaryAddr, 10*time.Second)

	for _, token := range []string{"", readToken} {
		code, body := get(t, n, "/healthz", token, "")
		var h Healthz
		if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || !h.Ready || h.Status != "ok" {
			t.Fatalf("/healthz (token %v): %d %v\n%s", token != "", code, err, body)
		}
		if strings.Contains(body, "primary") || strings.Contains(body, primaryAddr) {
			t.Errorf("/healthz (token %v) must say readiness only, no endpoints or addresses, got:\n%s", token != "", body)
		}
	}
	if _, err := wire.NewClient(n.HTTPAddr().String(), "").Services(t.Context()); !errors.Is(err, wire.ErrUnauthorized) {
		t.Errorf("the services without a token: %v, want 401 unauthorized", err)
	}
	services, err := wire.NewClient(n.HTTPAddr().String(), readToken).Services(t.Context())
	if e, ok := wire.EndpointNamed(services, "primary"); err != nil || !ok || len(e.Addresses) == 0 {
		t.Errorf("the services with a read token: %v, %+v; want the primary with its addresses", err, e)
	}
	for _, path := range []string{"/healthz/live", "/healthz/ready"} {
		if code, body := get(t, n, path, "", ""); code != http.StatusOK {
			t.Errorf("%s without a token: %d %q, want 200", path, code, body)
		}
	}
	if code, body := get(t, n, "/healthz", readToken, "rebound.attacker.example"); code != http.StatusMisdirectedRequest ||
		!strings.Contains(body, "http.allowed_hosts") {
		t.Errorf("a request for a foreign Host must be refused with 421 naming http.allowed_hosts, got %d:\n%s", code, body)
	}
	if code, _ := get(t, n, "/healthz/ready", "", "localhost:8080"); code != http.StatusOK {
		t.Errorf("Host localhost must be served, got %d", code)
	}
}

// TestReloadRevokesRemovedTokens is defect 4: the API was built once from
// the startup file, so a token removed from it and reloaded kept working.
func TestReloadRevokesRemovedTokens(t *testing.T) {
	port := freePort(t)
	const leaver = "olt_token-of-someone-who-left"
	cfg := privateConfig(t, port, tokenLine("leaver", "read", leaver), tokenLine("grafana", "read", readToken))
	n := startNode(t, cfg)
	waitForConfig(t, n)
	if code, body := get(t, n, "/api/v1/status", leaver, ""); code != http.StatusOK {
		t.Fatalf("before the reload the token works: %d %s", code, body)
	}
	if err := n.Reload(privateConfig(t, port, tokenLine("grafana", "read", readToken))); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for _, path := range []string{"/api/v1/status", "/"} { // /healthz needs no token and says no more with one
		if code, _ := get(t, n, path, leaver, ""); code != http.StatusUnauthorized {
			t.Errorf("%s with the removed token after the reload: %d, want 401", path, code)
		}
	}
	if code, _ := get(t, n, "/api/v1/status", readToken, ""); code != http.StatusOK {
		t.Errorf("a token still in the file must keep working: %d", code)
	}
}

// TestReloadDoesNotUndoAnAPIChange is defect 6: a SIGHUP of a file that
// was behind the cluster reverted a configuration applied through the API.
func TestReloadDoesNotUndoAnAPIChange(t *testing.T) {
	port := freePort(t)
	file := testConfig(t, port)
	n := startNode(t, file)
	v1 := waitForConfig(t, n)

	// alice adds a service through the API (the same command the API proposes).
	withWWW := withService(t, port, "www")
	shared := withWWW.Shared()
	cmd := state.Command{Kind: state.SetConfig, At: time.Now(), Who: "alice", Why: "add www",
		Config: &shared, ConfigHash: withWWW.Hash, BaseVersion: v1.Version}
	if err := n.Propose(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
	v2 := n.State().Config

	// The unchanged file is reloaded: refused, with how to force it.
	err := n.Reload(file)
	if !errors.Is(err, ErrFileBehind) {
		t.Errorf("reloading a file behind the cluster: got %v, want ErrFileBehind", err)
	}
	errtest.WantMessage(t, err, "by alice", "outlast config apply") // who changed it, and how to force the file

	if got := n.State().Config; got.Version != v2.Version || got.Hash != v2.Hash {
		t.Fatalf("a refused reload changed the configuration: version %d hash %s, want %d %s", got.Version, got.Hash, v2.Version, v2.Hash)
	}
	// The operator brings the file up to date: nothing to apply, and in step again.
	if err := n.Reload(withWWW); err != nil {
		t.Fatalf("reloading the cluster's own configuration: %v", err)
	}
	if got := n.State().Config.Version; got != v2.Version {
		t.Errorf("a reload of what the cluster runs must change nothing, version %d → %d", v2.Version, got)
	}
	// Then an edit from there applies, recorded with a reason.
	if err := n.Reload(withService(t, port, "www", "cdn")); err != nil {
		t.Fatalf("an edit of the current version: %v", err)
	}
	if got := n.State().Config; got.Version != v2.Version+1 {
		t.Errorf("after an edit of version %d the cluster runs version %d", v2.Version, got.Version)
	}
	if ev := n.State().Events; len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Why, "SIGHUP") {
		t.Errorf("the reload's change should be recorded with its reason, last events: %+v", ev[max(0, len(ev)-2):])
	}
}

// withService is the test configuration plus one single-endpoint service per name.
func withService(t *testing.T, port int, names ...string) *config.Config {
	t.Helper()
	text := configText(port)
	for _, name := range names {
		text += fmt.Sprintf(`
  - name: %s.example.test
    check: {type: tcp, port: %d}
    endpoints:
      - {name: %s1, location: gcp/us-central1, addresses: [%s]}
`, name, port, name, secondaryAddr)
	}
	cfg, err := config.Parse("with.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func waitForConfig(t *testing.T, n *Node) *state.AppliedConfig {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c := n.State().Config; c != nil {
			return c
		}
	}
	t.Fatal("the node agreed on no configuration within 10s")
	return nil
}

// TestIsolatedNodeRemovesWhatItsProbesSeeDown is defect 7: a node that
// never reached its cluster (here: peers that do not exist) answered the
// dead primary as healthy while its own probes said refused, and /healthz
// said 200. Now its own probes remove the primary, and it says not ready.
func TestIsolatedNodeRemovesWhatItsProbesSeeDown(t *testing.T) {
	port := freePort(t)
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port)) // the primary is dead: nothing listens
	n := startNode(t, isolatedConfig(t, port))

	// First it holds its answers for cluster.stale_after (3s), hoping to catch up.
	q := new(dns.Msg)
	q.SetQuestion("api.example.test.", dns.TypeA)
	if r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, n.DNSAddr().String()); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("right after start a member that has not caught up must answer SERVFAIL, got %v (err %v)", r, err)
	}
	if code, body := get(t, n, "/healthz/ready", "", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "catching up") {
		t.Errorf("/healthz/ready while catching up: %d %q", code, body)
	}
	// Then it answers from what it has, less what its own probes see down.
	waitForAnswer(t, n, secondaryAddr, 10*time.Second)
	code, body := get(t, n, "/healthz/ready", "", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "has not joined the cluster") {
		t.Errorf("/healthz/ready of a node that never joined: %d %q, want 503 saying so", code, body)
	}
	code, body = get(t, n, "/healthz", "", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"ready": false`) {
		t.Errorf("/healthz of a node that never joined: %d, want 503 and ready false:\n%s", code, body)
	}
	if code, _ = get(t, n, "/healthz/live", "", ""); code != http.StatusOK {
		t.Errorf("/healthz/live: %d, want 200: the process is fine, a restart would not help", code)
	}
}

// isolatedConfig puts the test configuration in a cluster of three whose
// other two members do not exist, so no leader is ever elected.
func isolatedConfig(t *testing.T, port int) *config.Config {
	t.Helper()
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if err := tlsca.InitCA(tlsDir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.IssueNode(tlsDir, "local", tlsca.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	clusterPort, gone := freePort(t), freePort(t)
	files := tlsca.NodeFiles(tlsDir, "local")
	text := strings.Replace(configText(port), "zones:", fmt.Sprintf(`cluster:
  listen: "127.0.0.1:%d"
  data_dir: %s
  stale_after: 3s
  peers:
    - {name: local, address: "127.0.0.1:%d"}
    - {name: gone1, address: "127.0.0.2:%d"}
    - {name: gone2, address: "127.0.0.3:%d"}
  tls: {ca_file: %s, cert_file: %s, key_file: %s}
zones:`, clusterPort, filepath.Join(dir, "data"), clusterPort, gone, gone, files.CA, files.Cert, files.Key), 1)
	cfg, err := config.Parse("isolated.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

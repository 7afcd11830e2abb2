package node

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// proxyConfig is the failover service of configText behind the node's
// proxy, its verdicts slowed (fall 5) so the proxy's retries, not the
// verdict, carry the clients through a failure.
func proxyConfig(t *testing.T, port int) *config.Config {
	t.Helper()
	text := nodeHeader + fmt.Sprintf(`services:
  - name: api.example.test
    ttl: 5s
    policy: failover
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 5, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
proxy:
  listen: 127.0.0.1:0
  routes: [{host: api.example.test, service: api.example.test, port: %d}]
  per_try_timeout: 500ms
  outlier: {consecutive: 3}
`, port, primaryAddr, secondaryAddr, port)
	return parseConfig(t, "proxy.yaml", text)
}

// proxyGet asks the node's proxy for api.example.test/ and returns the
// status and which backend answered.
func proxyGet(t *testing.T, c *http.Client, n *Node) (int, string, error) {
	req, err := http.NewRequest("GET", "http://"+n.ProxyAddrs()[0].String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "api.example.test"
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Outlast-Backend"), err
}

// TestProxyThroughFailure: requests through the node's proxy go where DNS
// sends clients (the primary); when the primary hangs, every request still
// succeeds, from the secondary (with fall 5 the verdict has usually not
// moved DNS yet; the test logs when it has, which it cannot hold); the
// ejection is this node's evidence against the primary.
func TestProxyThroughFailure(t *testing.T) {
	port := freePort(t)
	primary := startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port))
	n := startNode(t, proxyConfig(t, port))
	waitForVerdict(t, n, "primary", "up", 10*time.Second)
	c := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	for i := range 5 {
		if code, body, err := proxyGet(t, c, n); err != nil || code != http.StatusOK || !strings.Contains(body, primaryAddr) {
			t.Fatalf("request %d before the failure: %d %q %v; want 200 from the primary", i, code, body, err)
		}
	}

	primary.close()
	primary.hang()
	for i := range 20 {
		if code, body, err := proxyGet(t, c, n); err != nil || code != http.StatusOK || !strings.Contains(body, secondaryAddr) {
			t.Fatalf("request %d after the primary hung: %d %q %v; want 200 from the secondary", i, code, body, err)
		}
	}
	if v := n.State().Health("primary", time.Now()); v != model.Up {
		t.Logf("the verdict already moved (%s): the test shows less than it could", v)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !proxyEvidence(t, n) {
		if time.Now().After(deadline) {
			t.Fatal("the proxy's ejection of the primary is not in the node's evidence after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxyEvidence reports whether this node's latest observation of the
// primary is the proxy's ejection.
func proxyEvidence(t *testing.T, n *Node) bool {
	for _, byEndpoint := range n.Observations(t.Context()) {
		if o, ok := byEndpoint["primary"]; ok && o.Result.Reason == model.ReasonProxy {
			return true
		}
	}
	return false
}

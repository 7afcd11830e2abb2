package drill

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"outlast/internal/backend"
	"outlast/internal/config"
	"outlast/internal/node"
	"outlast/internal/node/nodetest"
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

const (
	adminToken = "olt_drill-admin-token-for-tests"
	primary    = "127.0.0.161" // apart from the chaos suite's 127.0.0.61-63, which runs beside it
	secondary  = "127.0.0.162"
)

// TestDrillThroughTheAPIOverTLS runs a drill against a real one-node
// cluster whose HTTP listener serves TLS with its node certificate, through
// an admin token: the figures are measured, the override is gone after,
// and with the other endpoint down the next drill is refused.
func TestDrillThroughTheAPIOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	stopSecondary := startBackends(t)
	n, client := startNode(t)
	ctx := context.Background()
	waitHealth(t, client, map[string]string{"primary": "up", "secondary": "up"})

	var lines []string
	res, err := Run(ctx, client, Options{Endpoint: "primary", Nameservers: []string{n.DNSAddr().String()},
		Timeout: 20 * time.Second, Interval: 20 * time.Millisecond, Progress: func(l string) { lines = append(lines, l) }})
	if err != nil {
		t.Fatalf("drill: %v (progress: %q)", err, lines)
	}
	t.Logf("drill: away %v, back %v; %q", res.Away.All, res.Back.All, lines)
	// The override takes effect when it commits and the node answers from
	// the new state at once; the return waits for the same. Well within
	// seconds on any machine, and never instant to the nanosecond.
	for name, r := range map[string]struct {
		all bool
		at  time.Duration
	}{"away": {res.Away.AllShifted, res.Away.All}, "back": {res.Back.AllShifted, res.Back.All}} {
		if !r.all || r.at <= 0 || r.at > 10*time.Second {
			t.Errorf("%s: shifted %v after %v, want every nameserver within 10 s", name, r.all, r.at)
		}
	}
	if res.Away.Servers[0].Answers == 0 || res.Plan.Service != "api.example.test." {
		t.Errorf("result %+v: want answers counted for api.example.test.", res)
	}
	if ov, err := client.Overrides(ctx); err != nil || len(ov) != 0 {
		t.Errorf("overrides after the drill: %v, %v; want none", ov, err)
	}

	stopSecondary()
	waitHealth(t, client, map[string]string{"primary": "up", "secondary": "down"})
	if _, err := Run(ctx, client, Options{Endpoint: "primary", Nameservers: []string{n.DNSAddr().String()}}); !errors.Is(err, ErrLastHealthy) {
		t.Errorf("drill with the other endpoint down: %v, want ErrLastHealthy", err)
	}
	if ov, err := client.Overrides(ctx); err != nil || len(ov) != 0 {
		t.Errorf("overrides after a refused drill: %v, %v; want none", ov, err)
	}
}

// startBackends serves the sample service on both endpoint addresses, one
// port, and returns what stops the secondary.
func startBackends(t *testing.T) (stopSecondary func()) {
	t.Helper()
	var stops []func()
	first, err := net.Listen("tcp", primary+":0")
	if err != nil {
		t.Fatal(err)
	}
	checkPort = first.Addr().(*net.TCPAddr).Port
	for _, addr := range []string{primary, secondary} {
		ln := first
		if addr != primary {
			if ln, err = net.Listen("tcp", fmt.Sprintf("%s:%d", addr, checkPort)); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = backend.ServeListener(ctx, ln, backend.New(addr)) }()
		stop := func() { cancel(); <-done }
		stops = append(stops, stop)
		t.Cleanup(stop)
	}
	return stops[1]
}

var checkPort int

// startNode runs a one-node cluster whose HTTP listener serves TLS on
// loopback (http.tls: always), as a remote node's does, with the node
// certificate, which names 127.0.0.1.
func startNode(t *testing.T) (*node.Node, *wire.Client) {
	t.Helper()
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if err := tlsca.InitCA(tlsDir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.IssueNode(tlsDir, "local", tlsca.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	files := tlsca.NodeFiles(tlsDir, "local")
	cl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clusterAddr := cl.Addr().String()
	cl.Close()
	sum := sha256.Sum256([]byte(adminToken))
	text := fmt.Sprintf(`
node: {name: local, location: local/lab}
dns: {listen: "127.0.0.1:0"}
http: {listen: "127.0.0.1:0", tls: always}
api:
  tokens: [{name: drill-test, scope: admin, sha256: %s}]
cluster:
  listen: %q
  data_dir: %s
  peers: [{name: local, address: %q}]
  tls: {ca_file: %s, cert_file: %s, key_file: %s}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [127.0.0.1]}]
services:
  - name: api.example.test
    type: A
    ttl: 1s
    policy: failover
    check: {type: http, port: %d, interval: 1s, timeout: 500ms, fall: 2, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
`, hex.EncodeToString(sum[:]), clusterAddr, filepath.Join(dir, "data"), clusterAddr, files.CA, files.Cert, files.Key,
		checkPort, primary, secondary)
	cfg, err := config.Parse("drill.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, cfg)
	url := fmt.Sprintf("https://127.0.0.1:%d", n.HTTPAddr().(*net.TCPAddr).Port)
	_, err = wire.NewClient(url, adminToken).Status(context.Background())
	var unknownCA x509.UnknownAuthorityError
	if !errors.As(err, &unknownCA) {
		t.Fatalf("a client that does not trust the cluster CA: %v, want x509.UnknownAuthorityError (is the API served over TLS?)", err)
	}
	return n, wire.NewClient(url, adminToken, wire.WithCAFile(files.CA))
}

// waitHealth waits until the API reports every listed endpoint's health.
func waitHealth(t *testing.T, c *wire.Client, want map[string]string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		services, err := c.Services(context.Background())
		got := map[string]string{}
		for _, s := range services {
			for _, e := range s.Endpoints {
				got[e.Name] = e.Health
			}
		}
		if last = fmt.Sprint(got, err); err == nil && fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
	}
	t.Fatalf("within 60 s the API did not report %v; last: %s", want, last)
}

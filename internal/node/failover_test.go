package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"outlast/internal/backend"
	"outlast/internal/config"
	"outlast/internal/shiftwatch"
	"outlast/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	primaryAddr   = "127.0.0.11"
	secondaryAddr = "127.0.0.12"
	// The example's check timing: interval 1s, fall 2, rise 3, timeout 1s,
	// and the default fast interval, a quarter of the interval.
	interval     = time.Second
	fastInterval = interval / 4
	fall         = 2
	rise         = 3
	timeout      = time.Second
)

// testConfig is examples/single-node.yaml with the listeners on free ports.
func testConfig(t *testing.T, port int) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(configText(port)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// nodeHeader is the single node on loopback the tests' configurations
// share: free listeners, a public status, zone example.test.
const nodeHeader = `
node: {name: local, location: local/lab}
dns: {listen: "127.0.0.1:0"}
http: {listen: "127.0.0.1:0"}
api: {public_status: true}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [127.0.0.1]}]
`

// parseConfig parses a test configuration, failing the test on a problem.
func parseConfig(t *testing.T, name, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// loadConfigFile writes text to dir/outlast.yaml and loads it as a node
// would, reading the files it names (zone files, the geoip database path)
// relative to dir.
func loadConfigFile(t *testing.T, dir, text string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "outlast.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func configText(port int) string {
	return nodeHeader + fmt.Sprintf(`services:
  - name: api.example.test
    type: A
    ttl: 5s
    policy: failover
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
`, port, primaryAddr, secondaryAddr)
}

// sampleBackend is a real `outlast backend` that can be stopped, hung and restarted on one address.
type sampleBackend struct {
	t      *testing.T
	addr   string
	stop   func()
	wg     sync.WaitGroup
	hungMu sync.Mutex
	hung   []net.Conn
}

func startBackend(t *testing.T, addr string) *sampleBackend {
	b := &sampleBackend{t: t, addr: addr}
	b.serve()
	t.Cleanup(b.close)
	return b
}

func (b *sampleBackend) listen() net.Listener {
	// The address was just released; give the kernel a moment if it is still held.
	for deadline := time.Now().Add(5 * time.Second); ; {
		ln, err := net.Listen("tcp", b.addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("cannot listen on %s again: %v", b.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serve runs the sample service.
func (b *sampleBackend) serve() {
	ln := b.listen()
	ctx, cancel := context.WithCancel(context.Background())
	b.wg.Add(1)
	go func() { defer b.wg.Done(); _ = backend.ServeListener(ctx, ln, backend.New(b.addr)) }()
	b.stop = func() { cancel(); b.wg.Wait() }
}

// hang accepts connections and never answers, as a region in trouble does.
func (b *sampleBackend) hang() {
	ln := b.listen()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.hungMu.Lock()
			b.hung = append(b.hung, c)
			b.hungMu.Unlock()
		}
	}()
	b.stop = func() {
		ln.Close()
		b.wg.Wait()
		b.hungMu.Lock()
		for _, c := range b.hung {
			c.Close()
		}
		b.hung = nil
		b.hungMu.Unlock()
	}
}

func (b *sampleBackend) close() {
	if b.stop != nil {
		b.stop()
		b.stop = nil
	}
}

func freePort(t *testing.T) int { return freePortOn(t, primaryAddr, secondaryAddr) }

func startNode(t *testing.T, cfg *config.Config) *Node {
	t.Helper()
	return startNodeWith(t, cfg, Options{Version: "test"})
}

// startNodeWith starts a node of cfg with opts and stops it when the test ends.
func startNodeWith(t *testing.T, cfg *config.Config, opts Options) *Node {
	t.Helper()
	n, err := New(cfg, opts)
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
			t.Errorf("stop: %v", err)
		}
	})
	return n
}

// waitForAnswer watches the node's DNS until api.example.test answers want
// alone, and returns how long that took.
func waitForAnswer(t *testing.T, n *Node, want string, limit time.Duration) time.Duration {
	t.Helper()
	return waitForQuery(t, n, "api.example.test.", want, limit)
}

// waitForQuery watches the node's DNS, every 20 ms, until name answers want
// alone: shiftwatch's shift, timed from the call to the first poll that got
// that answer.
func waitForQuery(t *testing.T, n *Node, name, want string, limit time.Duration) time.Duration {
	t.Helper()
	r, err := shiftwatch.Watch(t.Context(), shiftwatch.Options{
		Nameservers: []string{n.DNSAddr().String()}, Query: shiftwatch.Query{Name: name},
		Rule: shiftwatch.Rule{Want: shiftwatch.Exactly(netip.MustParseAddr(want))}, Interval: 20 * time.Millisecond, Deadline: limit,
	})
	if err != nil {
		t.Fatalf("the node does not answer %s with %s alone: %v", name, want, err)
	}
	return r.All
}

// answers asks the node for name A once and reports whether it answered
// want alone.
func answers(t *testing.T, n *Node, name, want string) (shiftwatch.Answer, bool) {
	a := shiftwatch.Ask(t.Context(), n.DNSAddr().String(), shiftwatch.Query{Name: name})
	return a, a.Kind == shiftwatch.Answered && shiftwatch.Exactly(netip.MustParseAddr(want))(a.Addrs)
}

// TestFailoverAndBack is the single-node promise: when the primary dies
// (refused) or hangs (accepts, never answers), answers move to the secondary
// within interval × fall + timeout + 1 s, and return only after rise good probes.
func TestFailoverAndBack(t *testing.T) {
	port := freePort(t)
	primary := startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port))
	n := startNode(t, testConfig(t, port))

	waitForAnswer(t, n, primaryAddr, 5*time.Second)
	// Let the primary be judged up by probes, not merely unknown.
	waitForVerdict(t, n, "primary", "up", 5*time.Second)

	bound := interval*fall + timeout + time.Second
	faults := []struct {
		name    string
		breakIt func()
	}{
		{"refused", func() { primary.close() }},
		{"hang", func() { primary.close(); primary.hang() }},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			f.breakIt()
			took := waitForAnswer(t, n, secondaryAddr, 3*bound)
			t.Logf("%s: answers moved to the secondary after %s (bound %s)", f.name, took.Round(time.Millisecond), bound)
			if took > bound {
				t.Errorf("%s: failover took %s, want at most interval × fall + timeout + 1s = %s", f.name, took, bound)
			}

			primary.close()
			primary.serve()
			back := waitForAnswer(t, n, primaryAddr, 10*time.Second)
			t.Logf("%s: answers returned to the primary after %s", f.name, back.Round(time.Millisecond))
			// rise good probes cannot happen faster than (rise-1) fast intervals apart.
			if min := fastInterval * (rise - 1); back < min {
				t.Errorf("%s: returned after %s, before %d good probes could have happened (%s)", f.name, back, rise, min)
			}
		})
	}
	checkMetrics(t, n)
}

// waitForVerdict polls the API until the endpoint has the given health.
func waitForVerdict(t *testing.T, n *Node, endpoint, want string, limit time.Duration) {
	t.Helper()
	var got string
	for start := time.Now(); time.Since(start) < limit; time.Sleep(50 * time.Millisecond) {
		if got = healthOf(t, n, endpoint); got == want {
			return
		}
	}
	t.Fatalf("after %s endpoint %s is %q in /api/v1/services, want %q", limit, endpoint, got, want)
}

// healthOf is the endpoint's health as the node's API says.
func healthOf(t *testing.T, n *Node, endpoint string) string {
	t.Helper()
	services, err := wire.NewClient(n.HTTPAddr().String(), "").Services(t.Context())
	if err != nil {
		t.Fatalf("GET /api/v1/services: %v", err)
	}
	e, _ := wire.EndpointNamed(services, endpoint)
	return e.Health
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, n *Node) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + n.HTTPAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families
}

// metricValue is the value of a metric without labels.
func metricValue(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	f := scrape(t, n)[name]
	if f == nil || len(f.GetMetric()) != 1 {
		t.Fatalf("metric %s missing or labelled", name)
	}
	m := f.GetMetric()[0]
	return m.GetGauge().GetValue() + m.GetCounter().GetValue()
}

// checkMetrics scrapes /metrics and checks the failovers above were counted.
func checkMetrics(t *testing.T, n *Node) {
	t.Helper()
	families := scrape(t, n)
	downs := 0.0
	for _, m := range families["outlast_verdict_changes_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["endpoint"] == "primary" && labels["to"] == "down" {
			downs = m.GetCounter().GetValue()
		}
	}
	if downs != 2 {
		t.Errorf("outlast_verdict_changes_total{endpoint=primary,to=down} = %v, want 2 (refused, then hang)", downs)
	}
	if families["outlast_dns_queries_total"] == nil || families["outlast_probe_duration_seconds"] == nil {
		t.Errorf("DNS query and probe latency metrics missing")
	}
}

package main

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The geo lab's addresses: the node, three regions' backends, and unbound.
const (
	geoNodeIP    = "127.0.0.181"
	geoEuWestIP  = "127.0.0.182" // aws/eu-west-1
	geoUSEastIP  = "127.0.0.183" // aws/us-east-1
	geoUSCentral = "127.0.0.184" // gcp/us-central1
	geoUnboundIP = "127.0.0.185"
)

// regionAt names the backends' regions in messages.
var regionAt = map[string]string{
	geoEuWestIP: "aws/eu-west-1", geoUSEastIP: "aws/us-east-1", geoUSCentral: "gcp/us-central1",
}

// Clients of two areas, as a resolver's ECS option says.
var (
	europeClients = netip.MustParsePrefix("10.1.5.0/24")
	usEastClients = netip.MustParsePrefix("10.2.5.0/24")
)

// Check timing and TTL of the geo service: the documented bound on a move
// is interval × fall + timeout + 1s, plus the TTL for a caching resolver.
const (
	geoInterval = time.Second
	geoFall     = 2
	geoTimeout  = time.Second
	geoTTL      = 5 * time.Second
)

// geoConfig: europe orders its regions by hand, us-east by distance from
// its center (Washington), which gives us-east-1, us-central1, eu-west-1
// from the built-in coordinates. www is a failover name: it depends on no
// client and must be cached once for all.
const geoConfig = `node: {name: geo, location: local/lab}
dns: {listen: "%[1]s:%[2]d"}
http: {listen: "%[1]s:%[3]d"}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [%[1]s]}]
geo:
  areas:
    - {name: europe, prefixes: [10.1.0.0/16]}
    - {name: us-east, prefixes: [10.2.0.0/16], center: [38.9, -77.0]}
services:
  - name: api.example.test
    ttl: %[5]s
    policy: geo
    geo:
      areas:
        - {area: europe, order: [aws/eu-west-1, gcp/us-central1, aws/us-east-1]}
        - {area: us-east, nearest: true}
    check: {type: http, port: %[4]d, interval: %[6]s, timeout: %[7]s, fall: %[8]d, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: euw1, location: aws/eu-west-1, addresses: [%[9]s]}
      - {name: use1, location: aws/us-east-1, addresses: [%[10]s]}
      - {name: usc1, location: gcp/us-central1, addresses: [%[11]s]}
  - name: www.example.test
    ttl: 60s
    check: {type: tcp, port: %[4]d}
    endpoints:
      - {name: www1, location: gcp/us-central1, addresses: [%[11]s]}
`

// TestGeoThroughUnbound puts unbound, a real caching resolver with its
// subnetcache module, between clients of two areas and an outlast node:
// each area gets its nearest region and its own cache entry (outlast's
// ECS scope is the area's /16), the non-geo name is cached once for all
// (scope 0), and when an area's region fails its clients move to their
// next region within the bound plus the TTL while the other area's never
// move: eu-west-1 fails first, comes back, then us-east-1 fails.
func TestGeoThroughUnbound(t *testing.T) {
	if testing.Short() {
		t.Skip("runs outlast, three backends and unbound")
	}
	lab := startGeoLab(t)
	lab.cachedPerArea(t)
	lab.nonGeoCachedOnce(t)

	lab.regionFails(t, geoEuWestIP, europeClients, geoUSCentral, usEastClients, geoUSEastIP)
	lab.restartBackend(t, geoEuWestIP)
	// rise 2 and a TTL bring Europe back; the bound is generous, not a goal.
	waitECS(t, lab.resolver, "api.example.test", europeClients, geoEuWestIP, 30*time.Second)
	lab.regionFails(t, geoUSEastIP, usEastClients, geoUSCentral, europeClients, geoEuWestIP)
}

// geoLab is one outlast node with three regions' backends, and unbound
// in front of it.
type geoLab struct {
	bin         string
	resolver    string // unbound, host:port
	metrics     string // the node's HTTP listener
	backendPort int
	backends    map[string]*exec.Cmd // by IP
}

func startGeoLab(t *testing.T) *geoLab {
	t.Helper()
	ips := []string{geoNodeIP, geoEuWestIP, geoUSEastIP, geoUSCentral, geoUnboundIP}
	ports := freePortsOn(t, ips, 4)
	dnsPort, httpPort, unboundPort := ports[0], ports[1], ports[3]
	lab := &geoLab{bin: buildOutlast(t), backendPort: ports[2], backends: map[string]*exec.Cmd{},
		metrics: net.JoinHostPort(geoNodeIP, strconv.Itoa(httpPort))}
	// unbound first: the test skips before starting anything without it.
	lab.resolver = startUnbound(t, geoUnboundIP, unboundPort, geoNodeIP, dnsPort)
	for _, ip := range []string{geoEuWestIP, geoUSEastIP, geoUSCentral} {
		lab.restartBackend(t, ip)
	}
	cfg := filepath.Join(t.TempDir(), "geo.yaml")
	write(t, cfg, fmt.Sprintf(geoConfig, geoNodeIP, dnsPort, httpPort, lab.backendPort, geoTTL, geoInterval, geoTimeout,
		geoFall, geoEuWestIP, geoUSEastIP, geoUSCentral))
	startProcess(t, lab.bin, "serve", "--config", cfg)

	// Straight at the node: each area its nearest region.
	node := net.JoinHostPort(geoNodeIP, strconv.Itoa(dnsPort))
	waitECS(t, node, "api.example.test", europeClients, geoEuWestIP, 10*time.Second)
	waitECS(t, node, "api.example.test", usEastClients, geoUSEastIP, 10*time.Second)
	// Let every backend be probed up, not merely unknown, before unbound caches.
	time.Sleep(geoInterval * 3)
	return lab
}

func (lab *geoLab) restartBackend(t *testing.T, ip string) {
	t.Helper()
	lab.backends[ip], _ = startProcess(t, lab.bin, "backend", "--listen", net.JoinHostPort(ip, strconv.Itoa(lab.backendPort)))
}

// cachedPerArea: each area's first query reaches outlast, and its answer
// serves that area's later clients (any /24 of its /16) from unbound's
// cache, its TTL running down, while the other area has its own entry.
func (lab *geoLab) cachedPerArea(t *testing.T) {
	t.Helper()
	n := aQueries(t, lab.metrics)
	expectAnswer(t, "europe through unbound", mustAsk(t, lab.resolver, "api.example.test", europeClients), geoEuWestIP, 16)
	if m := aQueries(t, lab.metrics); m == n {
		t.Errorf("the first European query did not reach outlast")
	}
	n = aQueries(t, lab.metrics)
	expectAnswer(t, "us-east through unbound", mustAsk(t, lab.resolver, "api.example.test", usEastClients), geoUSEastIP, 16)
	if m := aQueries(t, lab.metrics); m == n {
		t.Errorf("the first US-east query did not reach outlast: unbound answered it from Europe's cache entry")
	}

	time.Sleep(1100 * time.Millisecond) // so a cached answer's TTL has visibly dropped
	n = aQueries(t, lab.metrics)
	eu := mustAsk(t, lab.resolver, "api.example.test", europeClients)
	us := mustAsk(t, lab.resolver, "api.example.test", usEastClients)
	other := mustAsk(t, lab.resolver, "api.example.test", netip.MustParsePrefix("10.1.200.0/24"))
	expectAnswer(t, "europe from unbound's cache", eu, geoEuWestIP, 16)
	expectAnswer(t, "us-east from unbound's cache", us, geoUSEastIP, 16)
	expectAnswer(t, "another European /24 from unbound's cache", other, geoEuWestIP, 16)
	if got := aQueries(t, lab.metrics) - n; got != 0 {
		t.Errorf("repeated queries from the two areas (and another European /24) reached outlast %d times, want 0: "+
			"unbound should answer them from its per-subnet cache", got)
	}
	for _, a := range []ecsAnswer{eu, us} {
		if a.ttl >= uint32(geoTTL/time.Second) {
			t.Errorf("a cached answer a second later has TTL %d, want less than %d: %s", a.ttl, geoTTL/time.Second, a)
		}
	}
}

// nonGeoCachedOnce: outlast answers www with scope 0, so unbound's one
// entry serves every client.
func (lab *geoLab) nonGeoCachedOnce(t *testing.T) {
	t.Helper()
	expectAnswer(t, "www for europe", mustAsk(t, lab.resolver, "www.example.test", europeClients), geoUSCentral, 0)
	n := aQueries(t, lab.metrics)
	expectAnswer(t, "www for us-east", mustAsk(t, lab.resolver, "www.example.test", usEastClients), geoUSCentral, 0)
	if got := aQueries(t, lab.metrics) - n; got != 0 {
		t.Errorf("www for US east after Europe reached outlast %d times, want 0: a scope-0 answer is cached once for all", got)
	}
}

// regionFails stops the backend at failed: clients of moved go to next
// within interval × fall + timeout + 1s + TTL; clients of stay keep stayAt
// throughout, and a TTL after.
func (lab *geoLab) regionFails(t *testing.T, failed string, moved netip.Prefix, next string, stay netip.Prefix, stayAt string) {
	t.Helper()
	watch := startAreaWatch(lab.resolver, "api.example.test", stay, stayAt)
	stopProcess(t, lab.backends[failed])
	took := waitECS(t, lab.resolver, "api.example.test", moved, next, 30*time.Second)
	bound := geoInterval*geoFall + geoTimeout + time.Second + geoTTL
	t.Logf("after %s's backend stopped, clients of %s through unbound were sent to %s within %s (bound %s)",
		regionAt[failed], moved, regionAt[next], took.Round(10*time.Millisecond), bound)
	if took > bound {
		t.Errorf("clients of %s moved after %s, want at most interval × fall + timeout + 1s + TTL = %s", moved, took, bound)
	}
	time.Sleep(geoTTL + time.Second) // the staying area's entries expire and refill
	polls, wrong := watch.stop()
	if wrong != "" {
		t.Errorf("clients of %s moved while only %s failed: %s", stay, regionAt[failed], wrong)
	}
	t.Logf("clients of %s asked %d times meanwhile, always answered %s (%s)", stay, polls, stayAt, regionAt[stayAt])
}

// expectAnswer checks one answer's addresses and ECS scope.
func expectAnswer(t *testing.T, what string, a ecsAnswer, addr string, scope int) {
	t.Helper()
	if len(a.addrs) != 1 || a.addrs[0] != addr || a.scope != scope {
		t.Errorf("%s: %s, want NOERROR [%s] scope=%d", what, a, addr, scope)
	}
}

func mustAsk(t *testing.T, server, name string, subnet netip.Prefix) ecsAnswer {
	t.Helper()
	a, err := askECS(server, name, subnet)
	if err != nil {
		t.Fatalf("%s A for %s at %s: %v", name, subnet, server, err)
	}
	return a
}

// waitECS asks every 100 ms until the answer for a client of subnet is addr
// alone, and returns how long that took.
func waitECS(t *testing.T, server, name string, subnet netip.Prefix, addr string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < limit {
		a, err := askECS(server, name, subnet)
		if err == nil && len(a.addrs) == 1 && a.addrs[0] == addr {
			return time.Since(start)
		}
		last = fmt.Sprint(a, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("after %s %s answers %s for clients of %s: %s, want %s", limit, server, name, subnet, last, addr)
	return 0
}

// areaWatch asks for a name as clients of one subnet every 100 ms and
// remembers the first answer that is not want.
type areaWatch struct {
	done   chan struct{}
	result chan areaWatchResult
}

type areaWatchResult struct {
	polls int
	wrong string
}

func startAreaWatch(server, name string, subnet netip.Prefix, want string) *areaWatch {
	w := &areaWatch{done: make(chan struct{}), result: make(chan areaWatchResult, 1)}
	go func() {
		var r areaWatchResult
		defer func() { w.result <- r }()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
			a, err := askECS(server, name, subnet)
			r.polls++
			if r.wrong == "" && (err != nil || len(a.addrs) != 1 || a.addrs[0] != want) {
				r.wrong = fmt.Sprintf("poll %d: %v %v, want [%s]", r.polls, a, err, want)
			}
		}
	}()
	return w
}

func (w *areaWatch) stop() (polls int, wrong string) {
	close(w.done)
	r := <-w.result
	return r.polls, r.wrong
}

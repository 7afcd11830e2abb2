package node

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnstest"
	"outlast/internal/wire"
)

// Addresses of the hostname tests: the CDN's target resolves to cdnFirst,
// then cdnMoved; origin is an endpoint named by address.
const (
	cdnFirst   = "127.0.0.11"
	cdnMoved   = "127.0.0.13"
	originAddr = "127.0.0.12"
	cdnTarget  = "shop.cdn-a.test."
	cdnBTarget = "shop.cdn-b.test." // resolves to cdnMoved, always
)

// providerDNS is a real DNS server on loopback standing in for the CDN
// provider's DNS: it answers A for one name with a settable address and a
// 1 s TTL (NXDOMAIN for any other name), and can go dark (drop every query, so lookups time out).
type providerDNS struct {
	addr string
	mu   sync.Mutex
	a    netip.Addr
	dark bool
}

func startProviderDNS(t *testing.T, first string) *providerDNS {
	t.Helper()
	p := &providerDNS{a: netip.MustParseAddr(first)}
	p.addr = dnstest.Serve(t, dns.HandlerFunc(p.answer))
	return p
}

func (p *providerDNS) answer(w dns.ResponseWriter, q *dns.Msg) {
	p.mu.Lock()
	a, dark := p.a, p.dark
	p.mu.Unlock()
	if dark || len(q.Question) != 1 {
		return
	}
	r := new(dns.Msg)
	r.SetReply(q)
	r.Authoritative = true
	qn := q.Question[0]
	if qn.Name == cdnBTarget {
		a = netip.MustParseAddr(cdnMoved)
	}
	switch {
	case qn.Name != cdnTarget && qn.Name != cdnBTarget:
		r.Rcode = dns.RcodeNameError
	case qn.Qtype == dns.TypeA:
		r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: qn.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1}, A: a.AsSlice()}}
	}
	_ = w.WriteMsg(r)
}

func (p *providerDNS) set(addr string, dark bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.a, p.dark = netip.MustParseAddr(addr), dark
}

// hostnameConfig flattens the CDN's target (priority 1) beside an origin
// named by address (priority 2). The resolver's bounds are cut to seconds
// so the test sees the whole cycle: min_ttl 1s, max_stale 3s, stale_ttl 2s.
func hostnameConfig(t *testing.T, port int, upstream string) *config.Config {
	t.Helper()
	text := nodeHeader + fmt.Sprintf(`resolver: {servers: ["%s"], timeout: 200ms, min_ttl: 1s, max_stale: 3s, stale_ttl: 2s}
services:
  - name: www.example.test
    ttl: 5s
    answer: flatten
    check: {type: http, port: %d, interval: 500ms, timeout: 400ms, fall: 2, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: cdn-a, location: fastly/global, target: %s, priority: 1}
      - {name: origin, location: aws/us-east-1, addresses: [%s], priority: 2}
`, upstream, port, cdnTarget, originAddr)
	return parseConfig(t, "hostname.yaml", text)
}

// TestFlattenedTarget is issue 14's integration test of flattening, with a
// real upstream DNS server: the answers follow the upstream when it moves
// the target's address; when the upstream goes dark the node keeps
// answering the last good address for max_stale and says so (API, /healthz,
// metric); past max_stale the target is unresolved, its probes fail and the
// answers fail over to the origin; when the upstream returns, so does the CDN.
func TestFlattenedTarget(t *testing.T) {
	port := freePortOn(t, cdnFirst, cdnMoved, originAddr)
	for _, a := range []string{cdnFirst, cdnMoved, originAddr} {
		startBackend(t, fmt.Sprintf("%s:%d", a, port))
	}
	provider := startProviderDNS(t, cdnFirst)
	n := startNode(t, hostnameConfig(t, port, provider.addr))
	const name = "www.example.test."

	waitForQuery(t, n, name, cdnFirst, 10*time.Second)
	if r := askA(t, n, name); len(r.Answer) != 1 || r.Answer[0].Header().Ttl > 1 {
		t.Errorf("flattened answer %v; want one A with TTL at most the upstream's 1 s (the service's is 5 s)", r.Answer)
	}

	provider.set(cdnMoved, false)
	took := waitForQuery(t, n, name, cdnMoved, 5*time.Second)
	t.Logf("the answer followed the upstream's new address after %s (upstream TTL 1 s)", took.Round(time.Millisecond))

	provider.set(cdnMoved, true) // the provider's DNS goes dark; the CDN itself is fine
	dark := time.Now()
	waitForResolution(t, n, "stale", 5*time.Second)
	checkStaleReported(t, n)
	// Until max_stale (3 s past the 1 s TTL) ends, every answer is the last good address.
	for time.Since(dark) < 3*time.Second {
		r := askA(t, n, name)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != cdnMoved || r.Answer[0].Header().Ttl > 2 {
			t.Fatalf("%s after the upstream went dark: %v; want the last good address %s with TTL at most stale_ttl 2 s",
				time.Since(dark).Round(time.Millisecond), r, cdnMoved)
		}
		time.Sleep(100 * time.Millisecond)
	}

	waitForResolution(t, n, "unresolved", 10*time.Second)
	waitForQuery(t, n, name, originAddr, 10*time.Second)
	waitForVerdict(t, n, "cdn-a", "down", 10*time.Second)

	provider.set(cdnMoved, false)
	waitForResolution(t, n, "fresh", 10*time.Second)
	waitForQuery(t, n, name, cdnMoved, 15*time.Second)
}

// askA asks the node for name A over UDP.
func askA(t *testing.T, n *Node, name string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, n.DNSAddr().String())
	if err != nil {
		t.Fatalf("%s A: %v", name, err)
	}
	return r
}

// waitForResolution waits until the node's resolver holds the CDN target
// in state; for stale, until a lookup has failed too (with a 1 s TTL the
// addresses may turn stale while the first refresh is still in flight).
func waitForResolution(t *testing.T, n *Node, state string, limit time.Duration) {
	t.Helper()
	var last []wire.Resolution
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		last = n.Resolution()
		if len(last) == 1 && last[0].State == state && (state != "stale" || last[0].Error != "") {
			return
		}
	}
	t.Fatalf("resolution of %s after %s: %+v; want state %s", cdnTarget, limit, last, state)
}

// checkStaleReported: the API, /healthz and the metric all say the target is stale.
func checkStaleReported(t *testing.T, n *Node) {
	t.Helper()
	st, err := wire.NewClient(n.HTTPAddr().String(), "").Status(t.Context())
	if err != nil || len(st.Resolution) != 1 || st.Resolution[0].State != "stale" || st.Resolution[0].Error == "" ||
		st.Resolution[0].FailingSince.IsZero() || !st.Ready {
		t.Errorf("/api/v1/status: %v %+v; want the target stale, with the error and since when, and the node still ready", err, st)
	}
	code, body := get(t, n, "/healthz", "", "")
	var h Healthz
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || len(h.Warnings) != 1 {
		t.Errorf("/healthz: %d %v %s; want 200 with one warning of stale resolution", code, err, body)
	}
	stale := 0.0
	for _, m := range scrape(t, n)["outlast_target_resolution"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["target"] == cdnTarget && labels["state"] == "stale" {
			stale = m.GetGauge().GetValue()
		}
	}
	if stale != 1 {
		t.Errorf(`outlast_target_resolution{target=%q,state="stale"} = %v, want 1`, cdnTarget, stale)
	}
}

// freePortOn finds a TCP port free on every one of addrs.
func freePortOn(t *testing.T, addrs ...string) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", addrs[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		free := true
		for _, a := range addrs[1:] {
			other, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, port))
			if err != nil {
				free = false
				break
			}
			other.Close()
		}
		if free {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", addrs)
	return 0
}

// TestTargetThatNeverResolves: a node whose target does not exist starts,
// reports the target unresolved with the upstream's reason, answers the
// origin meanwhile (never an empty answer), and judges the endpoint down
// by its probes, which fail naming the target, like any other failure.
func TestTargetThatNeverResolves(t *testing.T) {
	port := freePortOn(t, originAddr)
	startBackend(t, fmt.Sprintf("%s:%d", originAddr, port))
	provider := startProviderDNS(t, cdnFirst)
	cfg := hostnameConfig(t, port, provider.addr)
	cfg.Services[0].Endpoints[0].Target = "gone.cdn-a.test." // the provider answers NXDOMAIN
	n := startNode(t, cfg)

	waitForQuery(t, n, "www.example.test.", originAddr, 10*time.Second)
	waitForVerdict(t, n, "cdn-a", "down", 10*time.Second)
	res := n.Resolution()
	if len(res) != 1 || res[0].Target != "gone.cdn-a.test." || res[0].State != "unresolved" || !strings.Contains(res[0].Error, "NXDOMAIN") {
		t.Errorf("resolution %+v; want gone.cdn-a.test. unresolved, saying NXDOMAIN", res)
	}
	obs := n.Observations(t.Context())["local"]["cdn-a"]
	if obs.Result.Up || obs.Result.Reason != "network" || !strings.Contains(obs.Result.Detail, "gone.cdn-a.test: unresolved") {
		t.Errorf("probe of the unresolved target: %+v; want a network failure naming the target as unresolved", obs.Result)
	}
}

// TestCNAMEFailover: a service answered as a CNAME names the preferred
// CDN's hostname, and names the other one when the preferred fails, within
// the failover bound of TestFailoverAndBack; every query type at the name
// gets the CNAME.
func TestCNAMEFailover(t *testing.T) {
	port := freePortOn(t, cdnFirst, cdnMoved)
	cdnA := startBackend(t, fmt.Sprintf("%s:%d", cdnFirst, port))
	startBackend(t, fmt.Sprintf("%s:%d", cdnMoved, port))
	provider := startProviderDNS(t, cdnFirst)
	text := nodeHeader + fmt.Sprintf(`resolver: {servers: ["%s"], timeout: 200ms, min_ttl: 1s}
services:
  - name: shop.example.test
    ttl: 5s
    answer: cname
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz}}
    endpoints:
      - {name: cdn-a, location: fastly/global, target: %s, priority: 1}
      - {name: cdn-b, location: cloudflare/global, target: %s, priority: 2}
`, provider.addr, port, cdnTarget, cdnBTarget)
	n := startNode(t, parseConfig(t, "cname.yaml", text))
	waitForVerdict(t, n, "cdn-a", "up", 10*time.Second)
	if got := cnameOf(t, n, dns.TypeMX); got != cdnTarget {
		t.Fatalf("shop.example.test MX: CNAME %q, want %s (every type gets the CNAME)", got, cdnTarget)
	}

	cdnA.close()
	broke := time.Now()
	bound := interval*fall + timeout + time.Second
	for cnameOf(t, n, dns.TypeA) != cdnBTarget {
		if time.Since(broke) > 3*bound {
			t.Fatalf("the CNAME still names %s %s after cdn-a stopped; want %s", cnameOf(t, n, dns.TypeA), 3*bound, cdnBTarget)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(broke)
	t.Logf("the CNAME moved to %s after %s (bound %s)", cdnBTarget, took.Round(time.Millisecond), bound)
	if took > bound {
		t.Errorf("CNAME failover took %s, want at most interval × fall + timeout + 1s = %s", took, bound)
	}
}

// cnameOf asks the node for shop.example.test of qtype and returns the
// target of the CNAME it answers ("" when none).
func cnameOf(t *testing.T, n *Node, qtype uint16) string {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion("shop.example.test.", qtype)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, n.DNSAddr().String())
	if err != nil {
		t.Fatalf("shop.example.test %s: %v", dns.TypeToString[qtype], err)
	}
	if len(r.Answer) != 1 || !r.Authoritative {
		return ""
	}
	if c, ok := r.Answer[0].(*dns.CNAME); ok {
		return c.Target
	}
	return ""
}

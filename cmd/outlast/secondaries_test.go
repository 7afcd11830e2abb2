package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/secondarytest"
	"outlast/internal/zoneserial"
)

// The secondaries' addresses: each sends its SOA queries from its own,
// which the zone's transfer rule allows, and BIND its transfers from
// 127.0.0.1, allowed too; .209 is a stranger.
var (
	knotSecondary = netip.MustParseAddr("127.0.0.205")
	bindSecondary = netip.MustParseAddr("127.0.0.206")
	strangerAddr  = netip.MustParseAddr("127.0.0.209")
)

const (
	xfrKey    = "outlast-xfr."
	xfrSecret = "b3V0bGFzdCB0cmFuc2ZlciBrZXkgZm9yIHRoZSB0ZXN0cw=="
	// secondaryBound is how long a secondary may take to serve a change
	// the nodes answer: NOTIFY, SOA query, IXFR, on a loaded machine.
	secondaryBound = 10 * time.Second
)

// TestSecondariesFollowFailover is issue 18's secondaries test: a real
// Knot and a real BIND, secondaries of a three-node outlast cluster with
// TSIG, serve each failover within a few seconds (NOTIFY, then IXFR);
// transfers from an address or a key not allowed are refused; the leader
// SIGKILLed and restarted never makes a serial go backwards, on the nodes
// or at the secondaries, and the next failover still reaches them.
func TestSecondariesFollowFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster of processes and two secondaries")
	}
	lab := newClusterLab(t)
	secret := filepath.Join(lab.dir, "xfr.secret")
	write(t, secret, xfrSecret+"\n")
	primary := netip.MustParseAddrPort(lab.nodes[0].dnsAddr)
	cfg := secondarytest.Config{Zone: "example.test.", Primary: primary, KeyName: xfrKey, Algorithm: dns.HmacSHA256, Secret: xfrSecret}
	cfg.Listen = knotSecondary
	knot := secondarytest.StartKnot(t, cfg)
	cfg.Listen = bindSecondary
	bind := secondarytest.StartBIND(t, cfg)
	secondaries := []*secondarytest.Secondary{knot, bind}

	lab.dnsExtra = fmt.Sprintf(", tsig_keys: [{name: %s, secret_file: %s}]", xfrKey, secret)
	lab.zoneExtra = fmt.Sprintf(`    transfer:
      allow: [{addresses: [127.0.0.1/32, %s/32, %s/32], keys: [%s]}]
      notify: [{address: "%s", key: %s}, {address: "%s", key: %s}]
`, knotSecondary, bindSecondary, xfrKey, knot.Addr, xfrKey, bind.Addr, xfrKey)
	for i, n := range lab.nodes {
		lab.writeConfig(n, nodePlaces[i], filepath.Join(lab.dir, "tls"), true)
	}
	lab.startAll()
	lab.waitForLeader(nil, 15*time.Second)
	lab.waitAllAnswer(clusterPrimary, 15*time.Second)

	serial := waitSecondariesAnswer(t, lab, secondaries, clusterPrimary, 0)
	t.Logf("both secondaries serve %s at serial %d", clusterPrimary, serial)
	refusedTransfers(t, primary)

	failed := time.Now()
	lab.primary.stop()
	nodes := lab.waitAllAnswer(clusterSecondary, 3*clusterSwitchBound)
	serial = waitSecondariesAnswer(t, lab, secondaries, clusterSecondary, serial)
	t.Logf("failover: every node answered %s %.1fs after the primary failed, both secondaries %.1fs after (serial %d)",
		clusterSecondary, nodes.Seconds(), time.Since(failed).Seconds(), serial)
	// Both took it by IXFR from the node they list: its metrics count them.
	if n := metricSum(t, lab.nodes[0].httpAddr, `outlast_zone_transfers_total{result="incremental",type="IXFR",zone="example.test."}`); n < 2 {
		t.Errorf("%s served %v incremental IXFRs, want one per secondary at least", lab.nodes[0].name, n)
	}

	leader := lab.waitForLeader(nil, 10*time.Second)
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	lab.start(leader)
	lab.waitForLeader(nil, 15*time.Second)
	lab.waitAllAnswer(clusterSecondary, 20*time.Second)
	for _, n := range lab.nodes {
		if got := nodeSerial(t, n.dnsAddr); zoneserial.Less(got, serial) {
			t.Errorf("after %s was killed and restarted, %s serves serial %d, behind %d the secondaries hold", leader.name, n.name, got, serial)
		}
	}
	back := time.Now()
	lab.primary.serve() // failback to the primary once it rises again
	nodes = lab.waitAllAnswer(clusterPrimary, 20*time.Second)
	serial = waitSecondariesAnswer(t, lab, secondaries, clusterPrimary, serial)
	t.Logf("after %s was killed and restarted: every node answered the failback %.1fs after the primary returned, both secondaries %.1fs after (serial %d)",
		leader.name, nodes.Seconds(), time.Since(back).Seconds(), serial)
}

// waitSecondariesAnswer waits until both secondaries answer api.example.test
// with want at a serial past after (RFC 1982), and returns that serial,
// checking neither ever served one behind after.
func waitSecondariesAnswer(t *testing.T, lab *clusterLab, secondaries []*secondarytest.Secondary, want string, after uint32) uint32 {
	t.Helper()
	deadline := time.Now().Add(secondaryBound)
	var serial uint32
	for _, s := range secondaries {
		for {
			got, ok := s.Serial("example.test.")
			if ok && after != 0 && zoneserial.Less(got, after) {
				t.Fatalf("%s went back to serial %d after serving %d", s.Name, got, after)
			}
			if ok && (after == 0 || zoneserial.Less(after, got)) && secondaryAnswers(s, want) {
				serial = max(serial, got)
				break
			}
			if time.Now().After(deadline) {
				r, _ := s.Query(apiName, dns.TypeA)
				t.Fatalf("%s did not serve %s %s past serial %d within %s (serial %d, %v; answer %v); its log:\n%s",
					s.Name, apiName, want, after, secondaryBound, got, ok, r, s.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return serial
}

func secondaryAnswers(s *secondarytest.Secondary, want string) bool {
	r, err := s.Query(apiName, dns.TypeA)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		return false
	}
	var got []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			got = append(got, a.A.String())
		}
	}
	return slices.Equal(got, []string{want})
}

// metricSum reads one series from a node's /metrics (0 when absent).
func metricSum(t *testing.T, httpAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s%s: %v", series, v, err)
			}
			return f
		}
	}
	return 0
}

// refusedTransfers: an AXFR from a stranger's address with the right key,
// and one from an allowed address with a wrong key, are refused.
func refusedTransfers(t *testing.T, primary netip.AddrPort) {
	t.Helper()
	cases := []struct {
		what   string
		from   netip.Addr
		secret string
	}{
		{"from an address not allowed", strangerAddr, xfrSecret},
		{"with a key whose secret is wrong", knotSecondary, "d3Jvbmcgc2VjcmV0IGZvciB0aGUgdHJhbnNmZXIga2V5"},
	}
	for _, c := range cases {
		m := new(dns.Msg)
		m.SetAxfr("example.test.")
		m.SetTsig(xfrKey, dns.HmacSHA256, 300, time.Now().Unix())
		tr := &dns.Transfer{TsigSecret: map[string]string{xfrKey: c.secret}}
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(c.from, 0)), Timeout: 2 * time.Second}
		conn, err := d.Dial("tcp", primary.String())
		if err != nil {
			t.Fatal(err)
		}
		tr.Conn = &dns.Conn{Conn: conn}
		env, err := tr.In(m, primary.String())
		var got string
		if err != nil {
			got = err.Error()
		} else {
			for e := range env {
				if e.Error != nil {
					got = e.Error.Error()
				} else if len(e.RR) > 0 {
					got = fmt.Sprintf("%d records", len(e.RR))
				}
			}
		}
		conn.Close()
		if got == "" || strings.Contains(got, "records") {
			t.Errorf("AXFR %s: got %q, want it refused", c.what, got)
		}
		t.Logf("AXFR %s: %s", c.what, got)
	}
}

// nodeSerial is the zone's serial a node answers.
func nodeSerial(t *testing.T, addr string) uint32 {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("example.test.", dns.TypeSOA)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, addr)
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("SOA from %s: %v %v", addr, r, err)
	}
	return r.Answer[0].(*dns.SOA).Serial
}

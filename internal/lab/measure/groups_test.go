package measure

import (
	"maps"
	"strings"
	"testing"
)

// proxiedRun is a region outage at 10 s measured for two groups of 100
// devices: the DNS-only ones fail 20 requests a second until their cached
// answers expire (10-14); the proxied ones all succeed, the slowest
// request taking one per-try timeout (0.5 s) longer from the fault on,
// and one that began in the second before the fault was slow too.
func proxiedRun() Input {
	in := geoRun()
	in.Areas = nil
	var dnsOnly, proxied []Second
	for i := range 30 {
		d := Second{T: i, Requests: 100, Successes: 100, ServedBy: map[string]int{"use1": 100}, MaxLatencyS: 0.01}
		p := Second{T: i, Requests: 100, Successes: 100, ServedBy: map[string]int{"use1": 100}, MaxLatencyS: 0.01}
		switch {
		case i == 9: // in flight at the fault: not the baseline
			p.MaxLatencyS = 0.5
		case i >= 10 && i < 15:
			d.Successes, d.ServedBy = 80, map[string]int{"usw2": 80}
			p.ServedBy, p.MaxLatencyS = map[string]int{"usw2": 100}, 0.52
		case i >= 15:
			d.ServedBy, p.ServedBy = map[string]int{"usw2": 100}, map[string]int{"usw2": 100}
		}
		dnsOnly, proxied = append(dnsOnly, d), append(proxied, p)
	}
	in.Seconds, in.Proxied = dnsOnly, proxied
	return in
}

func TestClientGroups(t *testing.T) {
	r := Compute(proxiedRun())
	if r.DNSOnly == nil || r.Proxied == nil {
		t.Fatalf("want both groups' figures, got dns_only %+v and proxied %+v", r.DNSOnly, r.Proxied)
	}
	d, p := *r.DNSOnly, *r.Proxied
	if d.ClientErrors != 100 || d.ClientRequests != 2000 || d.ClientSuccessPct != 95 || d.ClientRecoveryS != 5 ||
		d.ClientErrors != r.ClientErrors || d.ClientSuccessPctAfter != r.ClientSuccessPctAfter {
		t.Errorf("dns_only: want 100/2000 errors, 95%% success, recovery after 5 s, as the result's own figures; got %+v (result %d/%d)",
			d, r.ClientErrors, r.ClientRequests)
	}
	if p.ClientErrors != 0 || p.ClientRequests != 2000 || p.ClientSuccessPct != 100 || p.ClientRecoveryS != 0 ||
		p.MaxLatencyBeforeS != 0.01 || p.MaxLatencyS != 0.52 || !maps.Equal(p.ServedBy, map[string]int{"usw2": 2000}) {
		t.Errorf("proxied: want 0/2000 errors, 100%% success, slowest 0.01 s before and 0.52 s after, all served by usw2; got %+v", p)
	}
	if got := p.ExtraLatencyS(); got < 0.509 || got > 0.511 {
		t.Errorf("proxied: want 0.51 s extra latency, got %v", got)
	}
	if c := Compute(geoRun()); c.DNSOnly != nil || c.Proxied != nil {
		t.Errorf("want no groups without proxied devices, got %+v and %+v", c.DNSOnly, c.Proxied)
	}
}

func TestCheckProxied(t *testing.T) {
	bounds := Bounds{ProxiedSuccessPct: 100, AllowFalseFailovers: true}
	in := proxiedRun()
	r := Compute(in)
	Check(&r, bounds)
	if !r.Pass {
		t.Errorf("want a pass with every proxied request served, got %v", r.Failures)
	}
	in.Proxied[12].Successes = 99 // one error in 2000
	r = Compute(in)
	Check(&r, bounds)
	if r.Pass || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "proxied clients: 1/2000 errors, success from the fault on 99.95% < 100%") {
		t.Errorf("want one failure naming the proxied clients' error, got %v", r.Failures)
	}
	in.Proxied = []Second{}
	r = Compute(in)
	Check(&r, bounds)
	if r.Pass || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "no request") {
		t.Errorf("want a failure for proxied clients that made no request, got %v", r.Failures)
	}
}

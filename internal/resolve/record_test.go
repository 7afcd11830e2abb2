package resolve

import (
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func good4(ttl time.Duration, a ...string) Outcome {
	return Outcome{Kind: Addrs, Addrs: addrs(a...), TTL: ttl}
}

var (
	servfail = Outcome{Kind: Failure, Err: "upstream answered SERVFAIL"}
	nxdomain = Outcome{Kind: NXDomain, TTL: time.Minute, Err: "NXDOMAIN for x."}
	nodata   = Outcome{Kind: NoData, TTL: time.Minute, Err: "no A records for x."}
)

// step is an outcome observed at an offset from t0.
type step struct {
	at  time.Duration
	out Outcome
}

func TestDecide(t *testing.T) {
	p := Policy{MinTTL: 5 * time.Second, MaxTTL: time.Hour, MaxStale: 10 * time.Minute, StaleTTL: 30 * time.Second}
	tests := []struct {
		name    string
		steps   []step
		at      time.Duration
		state   State
		n       int           // addresses served
		ttl     time.Duration // -1: not checked
		wantErr bool
	}{
		{"never resolved", nil, 0, Unresolved, 0, 0, false},
		{"fresh with remaining TTL", []step{{0, good4(time.Minute, "192.0.2.1", "192.0.2.2")}}, 20 * time.Second, Fresh, 2, 40 * time.Second, false},
		{"TTL clamped up to MinTTL", []step{{0, good4(time.Second, "192.0.2.1")}}, 0, Fresh, 1, 5 * time.Second, false},
		{"TTL clamped down to MaxTTL", []step{{0, good4(1000*time.Hour, "192.0.2.1")}}, 0, Fresh, 1, time.Hour, false},
		{"failure within TTL stays fresh, error reported", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, servfail}}, 50 * time.Second, Fresh, 1, 10 * time.Second, true},
		{"failure after TTL is stale", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, servfail}}, 2 * time.Minute, Stale, 1, 30 * time.Second, true},
		{"stale until MaxStale past expiry", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, servfail}}, 10*time.Minute + 59*time.Second, Stale, 1, 30 * time.Second, true},
		{"unresolved beyond MaxStale", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, servfail}}, 11 * time.Minute, Unresolved, 0, 0, true},
		{"not refreshed at all: stale, then unresolved", []step{{0, good4(time.Minute, "192.0.2.1")}}, 12 * time.Minute, Unresolved, 0, 0, true},
		{"NXDOMAIN with a good set is a failure", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, nxdomain}}, 5 * time.Minute, Stale, 1, 30 * time.Second, true},
		{"NODATA with a good set is a failure", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, nodata}}, 5 * time.Minute, Stale, 1, 30 * time.Second, true},
		{"NXDOMAIN beyond MaxStale is unresolved", []step{{0, good4(time.Minute, "192.0.2.1")}, {45 * time.Second, nxdomain}, {11 * time.Minute, nxdomain}}, 11 * time.Minute, Unresolved, 0, 0, true},
		{"NXDOMAIN never resolved is unresolved", []step{{0, nxdomain}}, 0, Unresolved, 0, 0, true},
		{"NODATA never resolved is empty, not an error", []step{{0, nodata}}, 10 * time.Second, Empty, 0, 50 * time.Second, false},
		{"NODATA beyond MaxStale is empty", []step{{0, good4(time.Minute, "192.0.2.1")}, {12 * time.Minute, nodata}}, 12 * time.Minute, Empty, 0, time.Minute, false},
		{"empty stays empty while upstream fails", []step{{0, nodata}, {time.Hour, servfail}}, time.Hour, Empty, 0, 0, true},
		{"good answer after failures clears error", []step{{0, good4(time.Minute, "192.0.2.1")}, {2 * time.Minute, servfail}, {3 * time.Minute, good4(time.Minute, "192.0.2.9")}}, 3 * time.Minute, Fresh, 1, time.Minute, false},
		{"Addrs kind with no addresses is a failure", []step{{0, good4(time.Minute, "192.0.2.1")}, {time.Minute, Outcome{Kind: Addrs}}}, 2 * time.Minute, Stale, 1, 30 * time.Second, true},
		{"duplicates and mapped addresses folded", []step{{0, good4(time.Minute, "192.0.2.1", "::ffff:192.0.2.1", "192.0.2.1")}}, 0, Fresh, 1, time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			for _, s := range tc.steps {
				r = r.Observe(p, t0.Add(s.at), s.out, 0.5)
			}
			d := r.Decide(p, t0.Add(tc.at))
			if d.State != tc.state || len(d.Addrs) != tc.n || (tc.ttl >= 0 && d.TTL != tc.ttl) || (d.Err != "") != tc.wantErr {
				t.Errorf("got state=%s addrs=%v ttl=%s err=%q; want state=%s %d addrs ttl=%s err=%v",
					d.State, d.Addrs, d.TTL, d.Err, tc.state, tc.n, tc.ttl, tc.wantErr)
			}
		})
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	p := Policy{}
	for _, jitter := range []float64{0, 0.5, 0.999, -3, 7} {
		r := Record{}.Observe(p, t0, good4(100*time.Second, "192.0.2.1"), jitter)
		got := r.RefreshAt().Sub(t0)
		if got < 62*time.Second || got > 75*time.Second {
			t.Errorf("jitter %v: refresh after %s, want between 3/4 - 1/8 and 3/4 of the 100 s TTL", jitter, got)
		}
	}
	r := Record{}.Observe(p, t0, good4(100*time.Second, "192.0.2.1"), 0)
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		now := t0.Add(time.Duration(i) * time.Hour)
		r = r.Observe(p, now, servfail, 0)
		if got := r.RefreshAt().Sub(now); got != want*time.Second {
			t.Errorf("failure %d: retry after %s, want %s", i+1, got, want*time.Second)
		}
	}
}

func TestBoundAddrs(t *testing.T) {
	var many []netip.Addr
	for i := range 300 {
		many = append(many, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	r := Record{}.Observe(Policy{MaxAddrs: 64}, t0, Outcome{Kind: Addrs, Addrs: many, TTL: time.Minute}, 0)
	if d := r.Decide(Policy{MaxAddrs: 64}, t0); len(d.Addrs) != 64 {
		t.Errorf("kept %d addresses, want the bound of 64", len(d.Addrs))
	}
}

func TestNextChange(t *testing.T) {
	p := Policy{MaxStale: 10 * time.Minute}
	r := Record{}.Observe(p, t0, good4(time.Minute, "192.0.2.1"), 0)
	if got := r.NextChange(p, t0); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("fresh: next change %s, want the expiry", got)
	}
	if got := r.NextChange(p, t0.Add(2*time.Minute)); !got.Equal(t0.Add(11 * time.Minute)) {
		t.Errorf("stale: next change %s, want expiry + MaxStale", got)
	}
	if got := r.NextChange(p, t0.Add(time.Hour)); !got.IsZero() {
		t.Errorf("unresolved: next change %s, want none", got)
	}
}

package shiftwatch

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

var (
	old = netip.MustParseAddr("192.0.2.1")
	alt = netip.MustParseAddr("192.0.2.2")
	v6  = netip.MustParseAddr("2001:db8::1")
)

func ans(addrs ...netip.Addr) Answer { return Answer{Kind: Answered, Addrs: normal(addrs)} }

func fail(k Kind) Answer { return Answer{Kind: k, Err: errors.New(k.String())} }

func TestPredicates(t *testing.T) {
	mapped := netip.AddrFrom16(old.As16()) // ::ffff:192.0.2.1 is the same address
	cases := []struct {
		name string
		p    Predicate
		got  []netip.Addr
		want bool
	}{
		{"without: gone", Without(old), []netip.Addr{alt}, true},
		{"without: still there", Without(old, v6), []netip.Addr{alt, v6}, false},
		{"without: empty answer has none", Without(old), nil, true},
		{"without: a mapped address is the same", Without(mapped), []netip.Addr{old}, false},
		{"with: one of them", With(old, v6), []netip.Addr{v6}, true},
		{"with: none", With(old), []netip.Addr{alt}, false},
		{"with all: both", WithAll(old, alt), []netip.Addr{old, alt, v6}, true},
		{"with all: one missing", WithAll(old, alt), []netip.Addr{old}, false},
		{"exactly: same set, other order", Exactly(alt, old), []netip.Addr{old, alt}, true},
		{"exactly: a superset is not", Exactly(old), []netip.Addr{old, alt}, false},
		{"exactly: empty", Exactly(), nil, true},
	}
	for _, c := range cases {
		if got := c.p(normal(c.got)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// step is one observation fed to a tracker of two nameservers.
type step struct {
	server int
	sent   time.Duration
	a      Answer
}

func TestTracker(t *testing.T) {
	s := time.Second
	cases := []struct {
		name        string
		consecutive int
		steps       []step
		at          [2]time.Duration // -1: not shifted
		first, all  time.Duration
		any, every  bool
		flaps       [2]int
		failures    [2]int
	}{
		{name: "nothing asked", at: [2]time.Duration{-1, -1}},
		{name: "both shift once: first and all", consecutive: 1,
			steps: []step{{0, 0, ans(old)}, {1, 0, ans(old)}, {0, s, ans(alt)}, {1, s, ans(old)}, {1, 2 * s, ans(alt)}},
			at:    [2]time.Duration{s, 2 * s}, first: s, all: 2 * s, any: true, every: true},
		{name: "SERVFAIL, NXDOMAIN and timeouts are no shift", consecutive: 1,
			steps: []step{{0, 0, fail(ServFail)}, {0, s, fail(NXDomain)}, {0, 2 * s, fail(Timeout)}, {1, 0, fail(Failed)}},
			at:    [2]time.Duration{-1, -1}, failures: [2]int{3, 1}},
		{name: "consecutive: a row of three, dated from its first", consecutive: 3,
			steps: []step{{0, 0, ans(alt)}, {0, s, ans(old)}, {0, 2 * s, ans(alt)}, {0, 3 * s, ans(alt)}, {0, 4 * s, ans(alt)}},
			at:    [2]time.Duration{2 * s, -1}, first: 2 * s, any: true},
		{name: "consecutive: a failure neither counts nor breaks the row", consecutive: 2,
			steps: []step{{0, s, ans(alt)}, {0, 2 * s, fail(Timeout)}, {0, 3 * s, ans(alt)}},
			at:    [2]time.Duration{s, -1}, first: s, any: true, failures: [2]int{1, 0}},
		{name: "consecutive: too short a row is no shift", consecutive: 2,
			steps: []step{{0, s, ans(alt)}, {0, 2 * s, ans(old)}},
			at:    [2]time.Duration{-1, -1}},
		{name: "a flap after the shift keeps the first time", consecutive: 1,
			steps: []step{{0, s, ans(alt)}, {0, 2 * s, ans(old)}, {0, 3 * s, ans(alt)}, {1, s, ans()}},
			at:    [2]time.Duration{s, s}, first: s, all: s, any: true, every: true, flaps: [2]int{1, 0}},
	}
	for _, c := range cases {
		tr := NewTracker(Rule{Want: Without(old), Consecutive: c.consecutive}, "ns0", "ns1")
		for _, st := range c.steps {
			tr.Observe(st.server, st.sent, st.a)
		}
		r := tr.Report()
		for i, srv := range r.Servers {
			if srv.At != c.at[i] || srv.Shifted != (c.at[i] >= 0) || srv.Flaps != c.flaps[i] || srv.Failed() != c.failures[i] {
				t.Errorf("%s: server %d at %v shifted %v flaps %d failures %d, want at %v flaps %d failures %d",
					c.name, i, srv.At, srv.Shifted, srv.Flaps, srv.Failed(), c.at[i], c.flaps[i], c.failures[i])
			}
		}
		if r.AnyShifted != c.any || r.AllShifted != c.every || r.First != c.first || r.All != c.all ||
			tr.AllShifted() != c.every {
			t.Errorf("%s: report any %v all %v first %v all %v, want %v %v %v %v",
				c.name, r.AnyShifted, r.AllShifted, r.First, r.All, c.any, c.every, c.first, c.all)
		}
	}
}

func TestFailureKindsAreCountedApart(t *testing.T) {
	tr := NewTracker(Rule{Want: Without(old)}, "ns")
	for _, k := range []Kind{Timeout, Timeout, ServFail, NXDomain, OtherRcode, Failed} {
		tr.Observe(0, 0, fail(k))
	}
	srv := tr.Report().Servers[0]
	if got, want := srv.FailureText(), "1 NXDOMAIN, 1 SERVFAIL, 1 other rcode, 2 timeout, 1 failed"; got != want {
		t.Errorf("FailureText %q, want %q", got, want)
	}
	if srv.Polls != 6 || srv.Answers != 0 || srv.Shifted {
		t.Errorf("polls %d answers %d shifted %v, want 6, 0, false", srv.Polls, srv.Answers, srv.Shifted)
	}
}

package model

import (
	"net/netip"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"aws/us-east-1", "aws/us-east-1", true},
		{"AWS/US-East-1", "aws/us-east-1", true},
		{"aws", "", false},
		{"aws/", "", false},
		{"/us-east-1", "", false},
		{"aws/us/east", "", false},
	} {
		got, err := ParseLocation(tc.in)
		if (err == nil) != tc.ok || got.String() != tc.want {
			t.Errorf("ParseLocation(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestPickFollowsWeights(t *testing.T) {
	a := Answer{Pools: []WeightedPool{
		{Endpoint: "a", Weight: 1, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}},
		{Endpoint: "b", Weight: 0, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2")}},
		{Endpoint: "c", Weight: 3, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.3")}},
	}}
	counts := map[string]int{}
	for r := range uint64(8) { // two full cycles of the total weight 4
		counts[a.Pick(r)[0].String()]++
	}
	if counts["192.0.2.1"] != 2 || counts["192.0.2.2"] != 0 || counts["192.0.2.3"] != 6 {
		t.Errorf("picks over two cycles = %v, want 2 of a, 0 of b, 6 of c", counts)
	}
	fixed := Answer{Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.9")}}
	if got := fixed.Pick(12345); len(got) != 1 || got[0] != fixed.Addrs[0] {
		t.Errorf("a fixed answer must give its addresses to every query, got %v", got)
	}
}

// TestPickIndexFollowsWeights: a pool of weight w answers w of every
// TotalWeight consecutive values, a pool of weight 0 never; with no pools
// or no weight at all, pool 0 (the index Pick and the DNS server use).
func TestPickIndexFollowsWeights(t *testing.T) {
	a := Answer{Pools: []WeightedPool{
		{Endpoint: "a", Weight: 2, Target: "a.cdn.test."},
		{Endpoint: "b", Weight: 0, Target: "b.cdn.test."},
		{Endpoint: "c", Weight: 5, Target: "c.cdn.test."},
	}}
	counts := make([]int, len(a.Pools))
	for r := range uint64(3 * 7) { // three full cycles of the total weight 7
		counts[a.PickIndex(r)]++
	}
	if counts[0] != 6 || counts[1] != 0 || counts[2] != 15 {
		t.Errorf("pools picked over three cycles = %v, want [6 0 15]", counts)
	}
	// The largest r wraps into the cycle like any other: no overflow.
	if got, want := a.PickIndex(^uint64(0)), []int{0, 0, 2, 2, 2, 2, 2}[^uint64(0)%7]; got != want {
		t.Errorf("PickIndex(max uint64) = %d, want %d", got, want)
	}
	for _, none := range []Answer{{}, {Pools: []WeightedPool{{Weight: 0}, {Weight: 0}}}} {
		if got := none.PickIndex(42); got != 0 {
			t.Errorf("PickIndex with %d pools and no weight = %d, want 0", len(none.Pools), got)
		}
	}
}

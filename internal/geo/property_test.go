package geo

import (
	"math"
	"net/netip"
	"slices"
	"testing"

	"outlast/internal/model"
	"pgregory.net/rapid"
)

// genAddr draws an address near one of a few seeds, so prefixes nest and
// share long common parts (the interesting cases) instead of being
// scattered over an empty space.
func genAddr(v6 bool) *rapid.Generator[netip.Addr] {
	return rapid.Custom(func(t *rapid.T) netip.Addr {
		seeds4 := [][]byte{{10, 0, 0, 0}, {192, 0, 2, 0}, {0, 0, 0, 0}, {255, 255, 255, 255}}
		seeds6 := [][]byte{
			{0x20, 0x01, 0x0d, 0xb8, 15: 0},
			{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
			{15: 0},
			{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		}
		seeds := seeds4
		if v6 {
			seeds = seeds6
		}
		b := slices.Clone(rapid.SampledFrom(seeds).Draw(t, "seed"))
		for range rapid.IntRange(0, 4).Draw(t, "flips") {
			i := rapid.IntRange(0, len(b)*8-1).Draw(t, "bit")
			b[i/8] ^= 1 << (7 - i%8)
		}
		a, _ := netip.AddrFromSlice(b)
		return a
	})
}

func genEntries(t *rapid.T, names int, label string) []Entry {
	var entries []Entry
	seen := map[netip.Prefix]bool{}
	for range rapid.IntRange(0, 24).Draw(t, label+"-count") {
		v6 := rapid.Bool().Draw(t, label+"-v6")
		a := genAddr(v6).Draw(t, label+"-addr")
		bits := rapid.IntRange(0, a.BitLen()).Draw(t, label+"-bits")
		p := netip.PrefixFrom(a, bits)
		if !v6 && rapid.Bool().Draw(t, label+"-mapped") {
			p = netip.PrefixFrom(netip.AddrFrom16(a.As16()), bits+96)
		}
		if seen[refNormalize(p)] {
			continue // duplicates are an error, tested apart
		}
		seen[refNormalize(p)] = true
		entries = append(entries, Entry{Prefix: p, Area: rapid.IntRange(0, names-1).Draw(t, label+"-area")})
	}
	return entries
}

var propNames = []string{"eu", "us-east", "us-west", "asia"}

// TestAreaMatchesBruteForce: for random nested and overlapping prefix sets
// in both families, Area gives the reference's area, ok and scope at every
// address where an answer can change and at random ones.
func TestAreaMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		entries := genEntries(t, len(propNames), "e")
		table, err := NewTable(entries, propNames)
		if err != nil {
			t.Fatalf("NewTable(%v): %v", entries, err)
		}
		addrs := probes(entries)
		for range 8 {
			addrs = append(addrs, genAddr(rapid.Bool().Draw(t, "v6")).Draw(t, "probe"))
		}
		indexed, err := newIndexedTable(entries, propNames)
		if err != nil || indexed.v4Index == nil {
			t.Fatalf("indexed NewTable(%v): %v", entries, err)
		}
		for _, a := range addrs {
			for _, table := range []*Table{table, indexed} {
				gi, gb, gok := table.Area(a)
				wi, wb, wok := refArea(entries, a)
				if gi != wi || gb != wb || gok != wok {
					t.Fatalf("entries %v: Area(%s) = %d, /%d, %v; brute force says %d, /%d, %v", entries, a, gi, gb, gok, wi, wb, wok)
				}
			}
		}
	})
}

// TestScopeIsTheWinnerWhenNothingNests: with disjoint prefixes (what a
// MaxMind database holds) the scope is exactly the winning prefix's length.
func TestScopeIsTheWinnerWhenNothingNests(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var entries []Entry
		for _, e := range genEntries(t, len(propNames), "e") {
			if !slices.ContainsFunc(entries, func(o Entry) bool { return refNormalize(o.Prefix).Overlaps(refNormalize(e.Prefix)) }) {
				entries = append(entries, e)
			}
		}
		table, err := NewTable(entries, propNames)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := refNormalize(e.Prefix)
			for _, a := range []netip.Addr{p.Addr(), lastAddr(p)} {
				if a.Is4In6() {
					continue // an IPv4 client, looked up among the IPv4 prefixes
				}
				if i, bits, ok := table.Area(a); !ok || i != e.Area || bits != p.Bits() {
					t.Fatalf("entries %v: Area(%s) = %d, /%d, %v; want %d, /%d", entries, a, i, bits, ok, e.Area, p.Bits())
				}
			}
		}
	})
}

// TestChainMatchesBruteForce: the topology always wins when it matches,
// even with a shorter prefix than the database's.
func TestChainMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		topo := genEntries(t, len(propNames), "topo")
		db := genEntries(t, len(propNames), "db")
		tt, err := NewTable(topo, propNames)
		if err != nil {
			t.Fatal(err)
		}
		dt, err := NewTable(db, propNames)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := NewChain(tt, dt)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range append(probes(topo), probes(db)...) {
			gi, gb, gok := chain.Area(a)
			wi, wb, wok := refChain(topo, db, a)
			if gi != wi || gb != wb || gok != wok {
				t.Fatalf("topology %v, database %v: Area(%s) = %d, /%d, %v; want %d, /%d, %v", topo, db, a, gi, gb, gok, wi, wb, wok)
			}
		}
	})
}

// TestNearestIsSortedPermutation: Nearest returns the same locations,
// sorted by distance, ties in input order.
func TestNearestIsSortedPermutation(t *testing.T) {
	var all []string
	for provider, regions := range builtin {
		for region := range regions {
			all = append(all, provider+"/"+region)
		}
	}
	slices.Sort(all)
	rapid.Check(t, func(t *rapid.T) {
		from := genPoint().Draw(t, "from")
		names := rapid.SliceOfN(rapid.SampledFrom(all), 0, 12).Draw(t, "locs")
		locs := parseLocations(t, names)
		got, err := Nearest(from, locs, Builtin)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(locs) {
			t.Fatalf("Nearest returned %d locations for %d", len(got), len(locs))
		}
		used := make([]bool, len(locs))
		prev, prevAt := -1.0, -1
		for _, l := range got {
			// The first unused equal input location: ties must come in input order.
			at := firstUnused(locs, used, l)
			if at < 0 {
				t.Fatalf("Nearest(%v) = %v: %v is not one of the inputs left", locs, got, l)
			}
			used[at] = true
			p, _ := Builtin(l)
			d := Distance(from, p)
			if d < prev || d == prev && at < prevAt {
				t.Fatalf("Nearest(%v, %v) = %v: %v at %.1f km is out of order", from, locs, got, l, d)
			}
			prev, prevAt = d, at
		}
	})
}

func firstUnused(locs []model.Location, used []bool, l model.Location) int {
	for i, x := range locs {
		if x == l && !used[i] {
			return i
		}
	}
	return -1
}

func parseLocations(t interface{ Fatal(...any) }, names []string) []model.Location {
	locs := make([]model.Location, len(names))
	for i, n := range names {
		l, err := model.ParseLocation(n)
		if err != nil {
			t.Fatal(err)
		}
		locs[i] = l
	}
	return locs
}

func genPoint() *rapid.Generator[Point] {
	return rapid.Custom(func(t *rapid.T) Point {
		return Point{rapid.Float64Range(-90, 90).Draw(t, "lat"), rapid.Float64Range(-180, 180).Draw(t, "lon")}
	})
}

// TestDistanceProperties: symmetric, zero on the same point, never negative
// nor more than half the circumference.
func TestDistanceProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genPoint().Draw(t, "a"), genPoint().Draw(t, "b")
		if d1, d2 := Distance(a, b), Distance(b, a); d1 != d2 {
			t.Fatalf("Distance(%v, %v) = %v but Distance(%v, %v) = %v", a, b, d1, b, a, d2)
		}
		if d := Distance(a, a); d != 0 {
			t.Fatalf("Distance(%v, %v) = %v, want 0", a, a, d)
		}
		if d := Distance(a, b); d < 0 || d > math.Pi*EarthRadiusKm+1e-6 {
			t.Fatalf("Distance(%v, %v) = %v, outside [0, half the circumference]", a, b, d)
		}
	})
}

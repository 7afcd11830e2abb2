package geo

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// randomEntries draws n distinct random prefixes, half IPv4 (/8 to /32)
// and half IPv6 (/16 to /64), over 250 areas: about the shape of a
// GeoLite2 country database's 500,000 networks, with nesting thrown in.
func randomEntries(n int, seed uint64) ([]Entry, []string) {
	r := rand.New(rand.NewPCG(seed, seed))
	names := make([]string, 250)
	for i := range names {
		names[i] = "area"
	}
	seen := make(map[netip.Prefix]bool, n)
	entries := make([]Entry, 0, n)
	for len(entries) < n {
		var p netip.Prefix
		if len(entries)%2 == 0 {
			var b [4]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			p = netip.PrefixFrom(netip.AddrFrom4(b), 8+r.IntN(25)).Masked()
		} else {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			p = netip.PrefixFrom(netip.AddrFrom16(b), 16+r.IntN(49)).Masked()
		}
		if !seen[p] {
			seen[p] = true
			entries = append(entries, Entry{Prefix: p, Area: r.IntN(len(names))})
		}
	}
	return entries, names
}

func randomAddrs(n int, v6 bool) []netip.Addr {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]netip.Addr, n)
	for i := range out {
		var b [16]byte
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if v6 {
			out[i] = netip.AddrFrom16(b)
		} else {
			out[i] = netip.AddrFrom4([4]byte(b[:4]))
		}
	}
	return out
}

// BenchmarkArea: lookups in a table of 500,000 random prefixes.
func BenchmarkArea(b *testing.B) {
	table, err := NewTable(randomEntries(500_000, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(tableBytes(table)), "table-bytes")
	for _, fam := range []struct {
		name string
		v6   bool
	}{{"v4", false}, {"v6", true}} {
		addrs := randomAddrs(1<<16, fam.v6)
		b.Run(fam.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				table.Area(addrs[i&(len(addrs)-1)])
				i++
			}
		})
	}
}

// BenchmarkNewTable: building a table of 500,000 random prefixes, what a
// database reload costs.
func BenchmarkNewTable(b *testing.B) {
	entries, names := randomEntries(500_000, 1)
	b.ReportAllocs()
	var table *Table
	for b.Loop() {
		var err error
		if table, err = NewTable(entries, names); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tableBytes(table)), "table-bytes")
}

// tableBytes is what a table keeps once built.
func tableBytes(t *Table) int {
	return 4*len(t.v4) + 4*len(t.v4Areas) + 16*len(t.v6) + 4*len(t.v6Areas)
}

package geo

import (
	"net/netip"
	"testing"
)

// fuzzEntries reads up to 48 entries from data: a flags byte (bit 0: IPv6,
// bit 1: write an IPv4 prefix IPv4-mapped), the address (4 or 16 bytes),
// the prefix length (any byte, so lengths past the family are tried) and
// the area (any byte, so indexes past the names are tried). What is left
// is read as probe addresses of 16 bytes.
func fuzzEntries(data []byte) ([]Entry, []netip.Addr) {
	var entries []Entry
	for len(entries) < 48 && len(data) > 0 {
		flags := data[0]
		size := 4
		if flags&1 != 0 {
			size = 16
		}
		if len(data) < 1+size+2 {
			break
		}
		a, _ := netip.AddrFromSlice(data[1 : 1+size])
		bits := int(data[1+size])
		if flags&3 == 2 {
			a, bits = netip.AddrFrom16(a.As16()), bits+96
		}
		entries = append(entries, Entry{Prefix: netip.PrefixFrom(a, bits), Area: int(data[2+size])})
		data = data[3+size:]
	}
	var addrs []netip.Addr
	for ; len(data) >= 16; data = data[16:] {
		a := netip.AddrFrom16([16]byte(data[:16]))
		addrs = append(addrs, a, a.Unmap())
	}
	return entries, addrs
}

// FuzzTable builds tables from arbitrary prefix sets: NewTable fails
// exactly on the inputs the reference rejects, and otherwise Area agrees
// with the brute-force longest-prefix search everywhere an answer changes.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 10, 0, 0, 0, 8, 0, 0, 10, 1, 0, 0, 16, 1})
	f.Add([]byte{1, 0x20, 1, 0x0d, 0xb8, 12: 0, 32, 2, 2, 192, 0, 2, 0, 120, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 32, 2, 0, 1, 2, 3, 4, 33, 0})
	names := []string{"a", "b", "c"}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, addrs := fuzzEntries(data)
		table, err := NewTable(entries, names)
		if want := refInvalid(entries, len(names)); (err != nil) != want {
			t.Fatalf("NewTable(%v) = %v; the reference says invalid=%v", entries, err, want)
		}
		if err != nil {
			return
		}
		indexed, err := newIndexedTable(entries, names)
		if err != nil || indexed.v4Index == nil {
			t.Fatalf("indexed NewTable(%v): %v", entries, err)
		}
		for _, a := range append(probes(entries), addrs...) {
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

// refInvalid: an invalid prefix, an area outside the names, or a prefix
// listed twice.
func refInvalid(entries []Entry, names int) bool {
	for _, e := range entries {
		if !e.Prefix.IsValid() || e.Area < 0 || e.Area >= names {
			return true
		}
	}
	return refDuplicate(entries)
}

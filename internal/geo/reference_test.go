package geo

import (
	"net/netip"
)

// The naive reference the table is tested against. It shares no code with
// the table: it reads the prefixes with netip alone and tries every entry.

// refNormalize is the documented reading of a prefix: masked, and an
// IPv4-mapped IPv6 prefix as the IPv4 prefix it maps.
func refNormalize(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if p.Addr().Is4In6() {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// refArea is longest-prefix match by trying every entry, and the scope by
// its definition: a block of length L around addr holds no address that
// another entry decides iff L is at least the winner's length and longer
// than the common prefix of addr and every entry that does not hold addr.
func refArea(entries []Entry, addr netip.Addr) (index, bits int, ok bool) {
	a := addr.Unmap().WithZone("")
	index, win := -1, -1
	for _, e := range entries {
		p := refNormalize(e.Prefix)
		if p.Contains(a) && p.Bits() > win {
			index, win = e.Area, p.Bits()
		}
	}
	bits = max(win, 0)
	for _, e := range entries {
		p := refNormalize(e.Prefix)
		if p.Addr().Is4() != a.Is4() || p.Contains(a) {
			continue
		}
		bits = max(bits, commonBits(a, p.Addr())+1)
	}
	return index, bits, index >= 0
}

// commonBits counts the leading bits a and b share, one bit at a time.
func commonBits(a, b netip.Addr) int {
	x, y := a.AsSlice(), b.AsSlice()
	for i := range len(x) * 8 {
		if (x[i/8]>>(7-i%8))&1 != (y[i/8]>>(7-i%8))&1 {
			return i
		}
	}
	return len(x) * 8
}

// refChain is the chain's rule, spelled out: the topology's answer when
// it has one, else the database's, with the longer scope.
func refChain(topo, db []Entry, addr netip.Addr) (index, bits int, ok bool) {
	i, tb, ok := refArea(topo, addr)
	if ok {
		return i, tb, true
	}
	i, dbb, ok := refArea(db, addr)
	return i, max(tb, dbb), ok
}

// refDuplicate says whether two entries list the same prefix.
func refDuplicate(entries []Entry) bool {
	seen := map[netip.Prefix]bool{}
	for _, e := range entries {
		p := refNormalize(e.Prefix)
		if seen[p] {
			return true
		}
		seen[p] = true
	}
	return false
}

// probes are the addresses where answers change: each entry's first and
// last address and their neighbours, plus the ends of the spaces.
func probes(entries []Entry) []netip.Addr {
	out := []netip.Addr{
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	}
	for _, e := range entries {
		p := refNormalize(e.Prefix)
		first := p.Addr()
		last := lastAddr(p)
		out = append(out, first, last, first.Prev(), last.Next())
	}
	var valid []netip.Addr
	for _, a := range out {
		if a.IsValid() {
			valid = append(valid, a, netip.AddrFrom16(a.As16())) // and as IPv4-mapped
		}
	}
	return valid
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// newIndexedTable builds the table as NewTable does for a large one, with
// the first-level IPv4 index, however few its ranges.
func newIndexedTable(entries []Entry, names []string) (*Table, error) {
	defer func(n int) { v4IndexMin = n }(v4IndexMin)
	v4IndexMin = -1
	return NewTable(entries, names)
}

package geo

import (
	"fmt"
	"net/netip"
	"slices"
)

// Limits of a table, checked before anything is allocated. A GeoLite2
// country database has about 500,000 networks and a city database a few
// million; the area index is stored as an int32.
const (
	MaxEntries = 1 << 24
	MaxAreas   = 1 << 16
)

// Entry maps every address in Prefix to the area with index Area in the
// table's names.
type Entry struct {
	Prefix netip.Prefix
	Area   int
}

// Table answers which area an address is in, by longest-prefix match. It
// is immutable once built and safe for concurrent use. The nil *Table is
// an empty table: every address is in no area.
type Table struct {
	names   []string
	entries int
	v4      []uint32 // starts of the IPv4 ranges, ascending; v4[0] == 0
	v4Areas []int32  // area of each IPv4 range, -1 for a gap
	// v4Index[k] is the last IPv4 range starting at or before k<<16, so a
	// lookup searches only the ranges within its /16 (a handful, where a
	// full search of a database's ranges would miss the cache ~19 times).
	// It is built only for tables with more than v4IndexMin ranges.
	v4Index []int32
	v6      []u128 // starts of the IPv6 ranges, ascending; v6[0] == 0
	v6Areas []int32
}

// NewTable builds a table from entries whose areas index names. It is
// meant for the configuration or reload path, never the query path.
//
// Prefixes are masked (10.1.2.3/8 is 10.0.0.0/8) and an IPv4-mapped IPv6
// prefix (::ffff:10.0.0.0/104) is read as the IPv4 prefix it maps
// (10.0.0.0/8). IPv4 addresses are matched against IPv4 prefixes only and
// IPv6 addresses against IPv6 prefixes only, so ::/0 does not catch IPv4
// clients. The same prefix listed twice is an error (ErrDuplicatePrefix),
// even with the same area: a topology list that says it twice is a mistake
// to fix, and "the later wins" would hide it. So is an invalid prefix
// (ErrInvalidPrefix) and an area outside names (ErrAreaOutOfRange).
func NewTable(entries []Entry, names []string) (*Table, error) {
	if len(entries) > MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, at most %d", ErrTooLarge, len(entries), MaxEntries)
	}
	if len(names) > MaxAreas {
		return nil, fmt.Errorf("%w: %d area names, at most %d", ErrTooLarge, len(names), MaxAreas)
	}
	n4 := 0
	for _, e := range entries {
		if e.Prefix.Addr().Is4() || e.Prefix.Addr().Is4In6() {
			n4++
		}
	}
	v4, v6 := make([]span, 0, n4), make([]span, 0, len(entries)-n4)
	for i, e := range entries {
		s, err := newSpan(i, e, len(names))
		if err != nil {
			return nil, err
		}
		if s.v4 {
			v4 = append(v4, s)
		} else {
			v6 = append(v6, s)
		}
	}
	t := &Table{names: slices.Clone(names), entries: len(entries)}
	starts, areas, err := tile(v4, 32)
	if err != nil {
		return nil, t.duplicate(entries, err)
	}
	t.v4, t.v4Areas = make([]uint32, len(starts)), areas
	for i, s := range starts {
		t.v4[i] = uint32(s.lo)
	}
	if len(t.v4) > v4IndexMin {
		t.v4Index = index16(t.v4)
	}
	if t.v6, t.v6Areas, err = tile(v6, 128); err != nil {
		return nil, t.duplicate(entries, err)
	}
	return t, nil
}

func (t *Table) duplicate(entries []Entry, err error) error {
	d, ok := err.(duplicateError)
	if !ok {
		return err
	}
	a, b := int(min(d.first, d.second)), int(max(d.first, d.second))
	return fmt.Errorf("%w: entries %d (%s) and %d (%s) list the same prefix; keep one",
		ErrDuplicatePrefix, a, entries[a].Prefix, b, entries[b].Prefix)
}

// Area returns the index (into Names) of the area addr is in, and the
// scope: the prefix length of the widest block around addr decided by the
// same entry (the winning prefix's length unless a longer entry nested in
// it is close by; see the package doc). ok is false when addr is in no
// area; index is then -1 and bits the length of the widest block around
// addr that holds no entry. IPv4-mapped IPv6 addresses are looked up as
// IPv4, with IPv4 bits (0 to 32); zones are ignored. It does not allocate.
func (t *Table) Area(addr netip.Addr) (index int, bits int, ok bool) {
	if t == nil || !addr.IsValid() {
		return -1, 0, false
	}
	if addr.Is4() || addr.Is4In6() {
		index, bits = t.area4(uint32(v4u128(addr).lo))
	} else {
		index, bits = t.area6(u128From16(addr.As16()))
	}
	return index, bits, index >= 0
}

// v4IndexMin is the number of IPv4 ranges from which a table builds its
// 256 KiB first-level index; a variable so tests can cover both paths.
var v4IndexMin = 4096

// index16 finds, for each /16, the last range starting at or before it.
func index16(starts []uint32) []int32 {
	idx := make([]int32, 1<<16)
	i := 0
	for k := range idx {
		for i+1 < len(starts) && starts[i+1] <= uint32(k)<<16 {
			i++
		}
		idx[k] = int32(i)
	}
	return idx
}

func (t *Table) area4(a uint32) (int, int) {
	lo, hi := 0, len(t.v4)
	if t.v4Index != nil {
		// The answer is between the last range starting by a's /16 and the
		// last starting by the next /16.
		k := a >> 16
		lo = int(t.v4Index[k])
		if k+1 < 1<<16 {
			hi = int(t.v4Index[k+1]) + 1
		}
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.v4[mid] <= a {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := lo - 1 // v4[0] == 0, so i >= 0
	end := ^uint32(0)
	if i+1 < len(t.v4) {
		end = t.v4[i+1] - 1
	}
	return int(t.v4Areas[i]), scope32(a, t.v4[i], end)
}

func (t *Table) area6(a u128) (int, int) {
	lo, hi := 0, len(t.v6)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if !a.less(t.v6[mid]) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := lo - 1
	end := u128{^uint64(0), ^uint64(0)}
	if i+1 < len(t.v6) {
		end = t.v6[i+1].subOne()
	}
	return int(t.v6Areas[i]), scope128(a, t.v6[i], end)
}

// Names returns a copy of the area names the indexes refer to.
func (t *Table) Names() []string {
	if t == nil {
		return nil
	}
	return slices.Clone(t.names)
}

// Len is the number of entries the table was built from.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.entries
}

package geo

import (
	"errors"
	"net/netip"
	"testing"
)

var names = []string{"eu", "us-east", "us-west"}

func entries(t *testing.T, spec map[string]int) []Entry {
	t.Helper()
	var out []Entry
	for p, a := range spec {
		out = append(out, Entry{Prefix: netip.MustParsePrefix(p), Area: a})
	}
	return out
}

func TestArea(t *testing.T) {
	table, err := NewTable(entries(t, map[string]int{
		"10.0.0.0/8":              0,
		"10.1.0.0/16":             1,
		"10.1.2.0/24":             2,
		"192.0.2.0/24":            1,
		"::ffff:198.51.100.0/120": 2, // IPv4-mapped: read as 198.51.100.0/24
		"2001:db8::/32":           0,
		"2001:db8:1::/48":         2,
		"0.0.0.0/0":               0,
		"203.0.113.77/24":         2, // host bits are masked
	}), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr  string
		index int
		bits  int
		ok    bool
	}{
		{"10.200.0.1", 0, 9, true},       // in 10/8, but 10.0/9 would hold 10.1/16 too
		{"10.1.9.9", 1, 21, true},        // in 10.1/16, away from 10.1.2/24 (10.1.8/21 holds neither)
		{"10.1.2.3", 2, 24, true},        // the longest prefix
		{"::ffff:10.1.2.3", 2, 24, true}, // IPv4-mapped IPv6 is IPv4
		{"192.0.2.255", 1, 24, true},
		{"198.51.100.1", 2, 24, true},
		{"203.0.113.1", 2, 24, true},
		{"8.8.8.8", 0, 7, true},        // 0/0, scoped to 8.0.0.0/7 to stay clear of 10/8
		{"2001:db8:2::1", 0, 47, true}, // 2001:db8:2::/47 holds no /48 of another entry
		{"2001:db8:1:ffff::1", 2, 48, true},
		{"2001:db9::1", -1, 32, false}, // no area; 2001:db9::/32 holds no entry
		{"fe80::1%eth0", -1, 1, false}, // zones ignored; 8000::/1 holds no entry
		{"::ffff:0.0.0.1", 0, 5, true}, // mapped is IPv4: 0.0.0.0/5 is clear of 10/8
	} {
		i, bits, ok := table.Area(netip.MustParseAddr(tc.addr))
		if i != tc.index || bits != tc.bits || ok != tc.ok {
			t.Errorf("Area(%s) = %d, /%d, %v; want %d, /%d, %v", tc.addr, i, bits, ok, tc.index, tc.bits, tc.ok)
		}
	}
}

// TestIPv6PrefixDoesNotCatchIPv4: ::/0 is every IPv6 client, not the
// IPv4 clients an IPv4-mapped address stands for.
func TestIPv6PrefixDoesNotCatchIPv4(t *testing.T) {
	table, err := NewTable(entries(t, map[string]int{"::/0": 1}), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"192.0.2.1", "::ffff:192.0.2.1"} {
		if i, bits, ok := table.Area(netip.MustParseAddr(a)); ok || bits != 0 {
			t.Errorf("Area(%s) = %d, /%d, %v; want no area, scope /0", a, i, bits, ok)
		}
	}
	if i, bits, ok := table.Area(netip.MustParseAddr("2001:db8::1")); !ok || i != 1 || bits != 0 {
		t.Errorf("Area(2001:db8::1) = %d, /%d, %v; want 1, /0", i, bits, ok)
	}
}

func TestEmptyAndNilTables(t *testing.T) {
	empty, err := NewTable(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []*Table{empty, nil} {
		for _, a := range []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), {}} {
			if i, bits, ok := table.Area(a); i != -1 || bits != 0 || ok {
				t.Errorf("empty table: Area(%v) = %d, /%d, %v; want -1, /0, false", a, i, bits, ok)
			}
		}
		if table.Len() != 0 || len(table.Names()) != 0 {
			t.Errorf("empty table: Len %d, Names %v", table.Len(), table.Names())
		}
	}
}

func TestWholeSpaceEdges(t *testing.T) {
	table, err := NewTable(entries(t, map[string]int{
		"255.255.255.255/32": 1, "255.0.0.0/8": 0, "0.0.0.0/32": 2,
		"ffff::/16": 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128": 1, "::/128": 2,
	}), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr        string
		index, bits int
	}{
		{"255.255.255.255", 1, 32}, {"255.255.255.254", 0, 32}, {"255.0.0.0", 0, 9}, {"0.0.0.0", 2, 32}, {"0.0.0.1", -1, 32},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, 128}, {"ffff::", 0, 17}, {"::", 2, 128}, {"::1", -1, 128},
	} {
		if i, bits, _ := table.Area(netip.MustParseAddr(tc.addr)); i != tc.index || bits != tc.bits {
			t.Errorf("Area(%s) = %d, /%d; want %d, /%d", tc.addr, i, bits, tc.index, tc.bits)
		}
	}
}

func TestNewTableErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    error
	}{
		{"invalid prefix", []Entry{{Prefix: netip.Prefix{}, Area: 0}}, ErrInvalidPrefix},
		{"bits too long", []Entry{{Prefix: netip.PrefixFrom(netip.MustParseAddr("192.0.2.0"), 33), Area: 0}}, ErrInvalidPrefix},
		{"area too high", []Entry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Area: 3}}, ErrAreaOutOfRange},
		{"area negative", []Entry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Area: -1}}, ErrAreaOutOfRange},
		{"duplicate", []Entry{{netip.MustParsePrefix("192.0.2.0/24"), 0}, {netip.MustParsePrefix("192.0.2.9/24"), 0}}, ErrDuplicatePrefix},
		{"duplicate mapped", []Entry{{netip.MustParsePrefix("192.0.2.0/24"), 0}, {netip.MustParsePrefix("::ffff:192.0.2.0/120"), 1}}, ErrDuplicatePrefix},
		{"duplicate v6", []Entry{{netip.MustParsePrefix("2001:db8::/32"), 0}, {netip.MustParsePrefix("2001:db8::/32"), 1}}, ErrDuplicatePrefix},
	} {
		if _, err := NewTable(tc.entries, names); !errors.Is(err, tc.want) {
			t.Errorf("%s: NewTable(%v) = %v; want %v", tc.name, tc.entries, err, tc.want)
		}
	}
	if _, err := NewTable(nil, make([]string, MaxAreas+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("NewTable with %d names = %v; want ErrTooLarge", MaxAreas+1, err)
	}
}

func TestDuplicateErrorNamesBothEntries(t *testing.T) {
	_, err := NewTable([]Entry{
		{netip.MustParsePrefix("10.0.0.0/8"), 0},
		{netip.MustParsePrefix("192.0.2.0/24"), 1},
		{netip.MustParsePrefix("192.0.2.0/24"), 2},
	}, names)
	want := "geo: duplicate prefix: entries 1 (192.0.2.0/24) and 2 (192.0.2.0/24) list the same prefix; keep one"
	if err == nil || err.Error() != want {
		t.Errorf("NewTable = %v; want %q", err, want)
	}
}

// TestAreaDoesNotAllocate holds the query-path promise of the package doc.
func TestAreaDoesNotAllocate(t *testing.T) {
	table, err := NewTable(entries(t, map[string]int{"10.0.0.0/8": 0, "2001:db8::/32": 1}), names)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := NewChain(table, table)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("::ffff:10.1.2.3"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1%eth0")}
	allocs := testing.AllocsPerRun(100, func() {
		for _, a := range addrs {
			table.Area(a)
			chain.Area(a)
		}
	})
	if allocs != 0 {
		t.Errorf("Area allocates %v times per run; want 0", allocs)
	}
}

func TestChain(t *testing.T) {
	topo, err := NewTable(entries(t, map[string]int{"10.0.0.0/8": 2, "192.0.2.128/25": 0}), names)
	if err != nil {
		t.Fatal(err)
	}
	db, err := NewTable(entries(t, map[string]int{"10.1.0.0/16": 1, "192.0.2.0/24": 1, "198.51.100.0/24": 0}), names)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := NewChain(topo, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr        string
		index, bits int
		ok          bool
	}{
		{"10.1.2.3", 2, 8, true},      // topology wins with a shorter prefix
		{"192.0.2.200", 0, 25, true},  // topology
		{"192.0.2.1", 1, 25, true},    // database, scoped to stay clear of the topology's /25
		{"198.51.100.1", 0, 24, true}, // database only
		{"203.0.113.1", -1, 5, false}, // neither: 200.0.0.0/5 is clear of both
	} {
		i, bits, ok := chain.Area(netip.MustParseAddr(tc.addr))
		if i != tc.index || bits != tc.bits || ok != tc.ok {
			t.Errorf("Area(%s) = %d, /%d, %v; want %d, /%d, %v", tc.addr, i, bits, ok, tc.index, tc.bits, tc.ok)
		}
	}
	if got := chain.Names(); len(got) != len(names) || got[0] != names[0] {
		t.Errorf("Names() = %v; want %v", got, names)
	}
	other, _ := NewTable(nil, []string{"asia"})
	if _, err := NewChain(topo, other); !errors.Is(err, ErrNamesDiffer) {
		t.Errorf("NewChain with different names = %v; want ErrNamesDiffer", err)
	}
	for _, c := range []struct{ t, d *Table }{{nil, db}, {topo, nil}, {nil, nil}} {
		if _, err := NewChain(c.t, c.d); err != nil {
			t.Errorf("NewChain(%v, %v) = %v; a missing table is allowed", c.t != nil, c.d != nil, err)
		}
	}
	onlyDB, _ := NewChain(nil, db)
	if i, bits, ok := onlyDB.Area(netip.MustParseAddr("10.1.2.3")); i != 1 || bits != 16 || !ok {
		t.Errorf("database-only chain: Area(10.1.2.3) = %d, /%d, %v; want 1, /16, true", i, bits, ok)
	}
}

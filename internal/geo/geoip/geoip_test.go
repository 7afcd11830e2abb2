package geoip

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"

	"outlast/internal/geo"
	"outlast/internal/geo/geoip/geoiptest"
)

// world is a GeoLite2-like set of networks, IPv4 and IPv6.
var world = []geoiptest.Network{
	{CIDR: "1.0.16.0/20", Country: "JP", Continent: "AS"},
	{CIDR: "5.1.0.0/16", Country: "DE", Continent: "EU"},
	{CIDR: "8.8.8.0/24", Country: "US", Continent: "NA"},
	{CIDR: "45.0.0.0/24"}, // anycast: no country, no continent
	{CIDR: "81.0.0.0/16", Country: "FR", Continent: "EU"},
	{CIDR: "2400:4000::/22", Country: "JP", Continent: "AS"},
	{CIDR: "2600:1f00::/24", Country: "US", Continent: "NA"},
	{CIDR: "2a00:1450::/32", Country: "DE", Continent: "EU"},
	{CIDR: "2c0f:f000::/24", Country: "ZA", Continent: "AF"},
}

// Areas of the configuration in the tests: 0 europe, 1 us, 2 japan.
var worldRules = []Rule{
	{Area: 0, Continents: []string{"EU"}},
	{Area: 1, Countries: []string{"US"}},
	{Area: 2, Countries: []string{"JP"}},
}

func entries(t *testing.T, pairs ...any) []geo.Entry {
	t.Helper()
	var es []geo.Entry
	for i := 0; i < len(pairs); i += 2 {
		es = append(es, geo.Entry{Prefix: netip.MustParsePrefix(pairs[i].(string)), Area: pairs[i+1].(int)})
	}
	return es
}

func TestLoadMapsCountriesAndContinentsToAreas(t *testing.T) {
	want := entries(t,
		"1.0.16.0/20", 2,
		"5.1.0.0/16", 0,
		"8.8.8.0/24", 1,
		"81.0.0.0/16", 0,
		"2400:4000::/22", 2,
		"2600:1f00::/24", 1,
		"2a00:1450::/32", 0,
	)
	for _, size := range []int{24, 28, 32} {
		path := geoiptest.WriteFile(t, t.TempDir(), "GeoLite2-Country.mmdb", geoiptest.Build(t, mmdbwriter.Options{RecordSize: size}, world))
		db, err := Load(path, worldRules)
		if err != nil {
			t.Fatalf("record size %d: %v", size, err)
		}
		if !slices.Equal(db.Entries, want) {
			t.Errorf("record size %d: entries\n got %v\nwant %v", size, db.Entries, want)
		}
		if db.Networks != 9 || db.Matched != 7 {
			t.Errorf("record size %d: networks %d matched %d, want 9 and 7", size, db.Networks, db.Matched)
		}
		if db.Type != "GeoLite2-Country" || db.Path != path {
			t.Errorf("type %q path %q", db.Type, db.Path)
		}
	}
}

func TestLoadIPv4OnlyDatabase(t *testing.T) {
	var v4 []geoiptest.Network
	for _, n := range world {
		if !strings.Contains(n.CIDR, ":") {
			v4 = append(v4, n)
		}
	}
	path := geoiptest.WriteFile(t, t.TempDir(), "v4.mmdb", geoiptest.Build(t, mmdbwriter.Options{IPVersion: 4, DatabaseType: "DBIP-Country-Lite"}, v4))
	db, err := Load(path, worldRules)
	if err != nil {
		t.Fatal(err)
	}
	want := entries(t, "1.0.16.0/20", 2, "5.1.0.0/16", 0, "8.8.8.0/24", 1, "81.0.0.0/16", 0)
	if !slices.Equal(db.Entries, want) {
		t.Errorf("entries\n got %v\nwant %v", db.Entries, want)
	}
}

func TestLoadWithoutIPv4Aliases(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "noalias.mmdb", geoiptest.Build(t, mmdbwriter.Options{DisableIPv4Aliasing: true, DatabaseType: "GeoLite2-City"}, world))
	db, err := Load(path, worldRules)
	if err != nil {
		t.Fatal(err)
	}
	if db.Matched != 7 {
		t.Errorf("matched %d networks, want 7: %v", db.Matched, db.Entries)
	}
}

func TestCountryRuleBeatsContinentRule(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "db.mmdb", geoiptest.Build(t, mmdbwriter.Options{}, world))
	rules := []Rule{
		{Area: 0, Continents: []string{"EU"}},
		{Area: 1, Countries: []string{"DE"}},
		{Area: 2, Countries: []string{"US"}, Continents: []string{"AS"}},
		{Area: 3, Countries: []string{"US", "JP"}}, // US: area 2 came first; JP: a country beats AS
	}
	db, err := Load(path, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := entries(t,
		"1.0.16.0/20", 3,
		"5.1.0.0/16", 1,
		"8.8.8.0/24", 2,
		"81.0.0.0/16", 0,
		"2400:4000::/22", 3,
		"2600:1f00::/24", 2,
		"2a00:1450::/32", 1,
	)
	if !slices.Equal(db.Entries, want) {
		t.Errorf("entries\n got %v\nwant %v", db.Entries, want)
	}
}

func TestSiblingsOfOneAreaMerge(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "db.mmdb", geoiptest.Build(t, mmdbwriter.Options{}, []geoiptest.Network{
		// two cities of one Country: one area, one /16
		{CIDR: "5.1.0.0/17", Country: "DE", Continent: "EU", City: "Berlin"},
		{CIDR: "5.1.128.0/17", Country: "DE", Continent: "EU", City: "Munich"},
		// two countries of one continent rule: one area, one /16
		{CIDR: "5.2.0.0/17", Country: "DE", Continent: "EU"},
		{CIDR: "5.2.128.0/17", Country: "FR", Continent: "EU"},
		// two areas: stay apart
		{CIDR: "5.3.0.0/17", Country: "DE", Continent: "EU"},
		{CIDR: "5.3.128.0/17", Country: "US", Continent: "NA"},
		// neighbours that are not siblings: stay apart
		{CIDR: "5.4.128.0/17", Country: "DE", Continent: "EU"},
		{CIDR: "5.5.0.0/17", Country: "DE", Continent: "EU"},
	}))
	db, err := Load(path, worldRules)
	if err != nil {
		t.Fatal(err)
	}
	want := entries(t,
		"5.1.0.0/16", 0,
		"5.2.0.0/16", 0,
		"5.3.0.0/17", 0,
		"5.3.128.0/17", 1,
		"5.4.128.0/17", 0,
		"5.5.0.0/17", 0,
	)
	if !slices.Equal(db.Entries, want) {
		t.Errorf("entries\n got %v\nwant %v", db.Entries, want)
	}
	if db.Matched != 8 {
		t.Errorf("matched %d, want 8 (counted before merging)", db.Matched)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := geoiptest.Build(t, mmdbwriter.Options{}, world)
	corruptTree := slices.Clone(good)
	for i := range 64 { // the root's records point past the data section
		corruptTree[i] = 0xff
	}
	for _, tc := range []struct {
		name string
		data []byte // nil: no file
		opts []Option
		is   error
		text []string
	}{
		{name: "missing.mmdb", is: os.ErrNotExist,
			text: []string{"no such file", "place the file there or fix the path"}},
		{name: "empty.mmdb", data: []byte{}, is: ErrNotMaxMind,
			text: []string{"is not a MaxMind database", "expected a .mmdb file"}},
		{name: "text.mmdb", data: []byte("this is a CSV,not,a database\n"), is: ErrNotMaxMind,
			text: []string{"is not a MaxMind database"}},
		{name: "truncated.mmdb", data: good[:len(good)-40], is: ErrCorrupt,
			text: []string{"corrupt MaxMind database", "intact copy"}},
		{name: "tree.mmdb", data: corruptTree, is: ErrCorrupt,
			text: []string{"corrupt MaxMind database", "intact copy"}},
		{name: "big.mmdb", data: good, opts: []Option{MaxFileSize(int64(len(good) - 1))}, is: ErrTooLarge,
			text: []string{"too large", "the limit is"}},
		{name: "asn.mmdb", data: geoiptest.Build(t, mmdbwriter.Options{DatabaseType: "GeoLite2-ASN"}, world), is: ErrDatabaseType,
			text: []string{`"GeoLite2-ASN"`, "use a Country or City database"}},
		{name: "nolocations.mmdb", data: geoiptest.Build(t, mmdbwriter.Options{}, []geoiptest.Network{{CIDR: "45.0.0.0/24"}}), is: ErrNoLocations,
			text: []string{"among its 1 networks", "use a Country or City database"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := dir + "/" + tc.name
			if tc.data != nil {
				geoiptest.WriteFile(t, dir, tc.name, tc.data)
			}
			db, err := Load(path, worldRules, tc.opts...)
			if err == nil {
				t.Fatalf("Load gave %d entries, want an error", len(db.Entries))
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			for _, s := range append(tc.text, path) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// The entries build a geo.Table as they are: disjoint, masked, and an
// address finds its database network and area.
func TestEntriesBuildAnAreaTable(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "db.mmdb", geoiptest.Build(t, mmdbwriter.Options{}, world))
	db, err := Load(path, worldRules)
	if err != nil {
		t.Fatal(err)
	}
	table, err := geo.NewTable(db.Entries, []string{"europe", "us", "japan"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		area int
		bits int
		ok   bool
	}{
		{"8.8.8.8", 1, 24, true},
		{"5.1.200.7", 0, 16, true},
		{"81.0.1.1", 0, 16, true},
		{"1.0.17.1", 2, 20, true},
		{"2a00:1450::1", 0, 32, true},
		{"45.0.0.1", 0, 0, false},     // no country
		{"2c0f:f000::1", 0, 0, false}, // ZA: no rule
	} {
		area, bits, ok := table.Area(netip.MustParseAddr(tc.addr))
		if ok != tc.ok || (ok && (area != tc.area || bits != tc.bits)) {
			t.Errorf("%s: area %d /%d %v, want %d /%d %v", tc.addr, area, bits, ok, tc.area, tc.bits, tc.ok)
		}
	}
}

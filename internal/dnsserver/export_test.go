package dnsserver

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/xfr"
)

// TestZoneExportsWhatIsAnswered holds Zone to the table in export.go on
// the shared test zones: SOA first, every record once, the apex NS and
// in-zone glue, the union of weighted pools, the heaviest pool's CNAME,
// nothing for ModeEmpty and unresolved types, nothing of the nested zone.
func TestZoneExportsWhatIsAnswered(t *testing.T) {
	records, ok := testSnapshot(t).Zone("Example.Test")
	if !ok {
		t.Fatal("Zone(example.test.) not found")
	}
	soa, isSOA := records[0].(*dns.SOA)
	if !isSOA || soa.Serial != 7 || soa.Hdr.Name != "example.test." {
		t.Fatalf("first record %v, want the SOA of example.test. with serial 7", records[0])
	}
	have := make(map[string]bool)
	for _, rr := range records {
		s := strings.Join(strings.Fields(rr.String()), " ")
		if have[s] {
			t.Errorf("record %s exported twice", s)
		}
		have[s] = true
	}
	for _, want := range []string{
		"example.test. 3600 IN NS ns1.example.test.",
		"example.test. 3600 IN NS ns2.other.test.",
		"ns1.example.test. 3600 IN A 192.0.2.53",
		"ns1.example.test. 3600 IN AAAA 2001:db8::53",
		"www.example.test. 30 IN A 192.0.2.1",
		"weighted.example.test. 30 IN A 192.0.2.21",
		"weighted.example.test. 30 IN A 192.0.2.22",
		"flat.example.test. 30 IN AAAA 2001:db8::77",
		"cdn.example.test. 60 IN CNAME edge.cdn-a.test.",
		"wcdn.example.test. 60 IN CNAME edge.cdn-b.test.",
		"deep.a.b.example.test. 30 IN A 192.0.2.31",
	} {
		if !have[want] {
			t.Errorf("missing %s", want)
		}
	}
	for s := range have {
		for _, banned := range []string{"closed.example.test.", "flat.example.test. 30 IN A ", "app.sub.example.test.",
			"www.example.test. 60 IN CNAME", "HINFO", "198.51.100.53"} {
			if strings.Contains(s, banned) {
				t.Errorf("exported %s, which holds %q", s, banned)
			}
		}
	}
	if err := xfr.NewJournal(xfr.Limits{}).Add(xfr.Version{Serial: 7, Records: records}); err != nil {
		t.Errorf("the journal refuses the export: %v", err)
	}
}

// TestZoneUnknown: no zone, no records.
func TestZoneUnknown(t *testing.T) {
	for _, s := range []*Snapshot{testSnapshot(t), Holding()} {
		if rrs, ok := s.Zone("nowhere.test."); ok || rrs != nil {
			t.Errorf("Zone(nowhere.test.) = %v, %v; want nothing", rrs, ok)
		}
	}
	if _, err := Holding().ZoneVersion("example.test."); err == nil {
		t.Error("ZoneVersion of a holding snapshot did not fail")
	}
}

// TestZoneExportsGeoDefault: a geo name exports the answer of clients in
// no area, never an area's.
func TestZoneExportsGeoDefault(t *testing.T) {
	records, ok := geoSnapshot(t).Zone("example.test.")
	if !ok {
		t.Fatal("Zone(example.test.) not found")
	}
	var geo []string
	for _, rr := range records {
		if name := rr.Header().Name; name == "geo.example.test." || name == "geocdn.example.test." {
			geo = append(geo, strings.Join(strings.Fields(rr.String()), " "))
		}
	}
	want := []string{"geo.example.test. 30 IN A 192.0.2.100", "geo.example.test. 30 IN AAAA 2001:db8::100",
		"geocdn.example.test. 60 IN CNAME edge.cdn-a.test."}
	if strings.Join(geo, "\n") != strings.Join(want, "\n") {
		t.Errorf("geo names export\n%s\nwant\n%s", strings.Join(geo, "\n"), strings.Join(want, "\n"))
	}
}

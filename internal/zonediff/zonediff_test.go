package zonediff

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestKnotAgreesWithItself holds that the harness finds no difference where
// there is none: two Knots serving the same file answer alike, over every
// transport, for every question.
func TestKnotAgreesWithItself(t *testing.T) {
	a := StartKnot(t, "knot-a", ExampleApex, ExampleZone)
	b := StartKnot(t, "knot-b", ExampleApex, ExampleZone)
	qs := Queries(ExampleApex, MustReadZone(ExampleZone, ExampleApex))
	res := Compare(a, b, qs, nil)
	if r := res.Report(); r != "" {
		t.Fatal(r)
	}
	t.Logf("%d questions, each over %d transports: no difference", len(qs), len(Transports))

	// The zone exercises TC: its apex TXT set does not fit 512 bytes.
	r, err := exchange(a.Addr, Query{ExampleApex, dns.TypeTXT}, UDPNoEDNS)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated {
		t.Errorf("the apex TXT over UDP without EDNS: flags %s, want TC set; make the set longer", flags(r))
	}
}

// TestMutatedZoneIsReported holds that the harness can fail: a second Knot
// serving a changed copy of the zone is reported, every change in one
// report, and an allowance hides exactly what it covers.
func TestMutatedZoneIsReported(t *testing.T) {
	mutated := strings.NewReplacer(
		"WWW        60   IN A     192.0.2.80", "WWW        60   IN A     192.0.2.88", // changed data
		"www        60   IN AAAA", "www        61   IN AAAA", // changed TTL
		"@               IN MX    20 mail.backup.example.net.\n", "", // a record gone
		"2026010101", "2026010102", // another serial
	).Replace(ExampleZone)
	if mutated == ExampleZone {
		t.Fatal("the mutation changed nothing: has testdata/example.test.zone changed?")
	}
	ref := StartKnot(t, "knot", ExampleApex, ExampleZone)
	got := StartKnot(t, "mutated", ExampleApex, mutated)
	qs := []Query{
		{"www.example.test.", dns.TypeA}, {"WwW.ExAmPlE.TeSt.", dns.TypeAAAA},
		{"example.test.", dns.TypeMX}, {"example.test.", dns.TypeSOA}, {"c.example.test.", dns.TypeA},
	}
	res := Compare(ref, got, qs, nil)
	report := res.Report()
	for _, want := range []string{
		"www.example.test. A over udp, tcp, udp-512:", // one difference, written once
		"only knot:     www.example.test. 60 IN A 192.0.2.80",
		"only mutated:  www.example.test. 60 IN A 192.0.2.88",
		"only mutated:  WwW.ExAmPlE.TeSt. 61 IN AAAA 2001:db8::80", // the case asked,
		"only knot:     example.test. 3600 IN MX 20 mail.backup.example.net.",
		"2026010102",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q; it reads:\n%s", want, report)
		}
	}
	if strings.Contains(report, "c.example.test.") {
		t.Errorf("the report names c.example.test., which did not change:\n%s", report)
	}

	serial := Allowance{Name: "soa-serial", Reason: "the copies have different serials", Normalize: ZeroSOASerial}
	res = Compare(ref, got, []Query{{"example.test.", dns.TypeSOA}, {"c.example.test.", dns.TypeA}}, []Allowance{serial})
	if r := res.Report(); r != "" {
		t.Errorf("with the serial allowed, the SOA still differs:\n%s", r)
	}
	if res.Used["soa-serial"] == 0 {
		t.Error("the serial allowance is not counted as used")
	}
}

// TestQueriesCoverTheZone holds the questions a differential test asks:
// each pair of the file, the types a name lacks, the empty non-terminal,
// absent names below and beside, and mixed case.
func TestQueriesCoverTheZone(t *testing.T) {
	qs := Queries(ExampleApex, MustReadZone(ExampleZone, ExampleApex))
	asked := map[string]bool{}
	for _, q := range qs {
		asked[q.String()] = true
	}
	for _, want := range []string{
		"example.test. SOA", "example.test. CAA", "ns2.example.test. A", "_sip._tcp.example.test. SRV",
		"www.example.test. MX", // a type the name lacks
		"y.example.test. A",    // the empty non-terminal
		"nx.sub.example.test. A", "nx.y.example.test. A", "nx.cdn.example.test. A", "nx-www.example.test. A",
		"nx-example.test. A", // outside the zone
		"sub.example.test. DS",
		MixedCase("www.example.test.") + " A",
	} {
		if !asked[want] {
			t.Errorf("Queries does not ask %q", want)
		}
	}
}

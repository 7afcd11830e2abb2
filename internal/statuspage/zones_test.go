package statuspage

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/wire"
)

// sampleDS is the DS of the sample's signed zone, as the API gives it.
const sampleDS = "example.test.\t3600\tIN\tDS\t12345 13 2 19C04622D1C2C437DC4FCB798DA91B4EDD0D763A8AEDC394FC48AADB0D7503F6"

// sampleZones are a signed zone and a transferred one with a secondary of
// each NOTIFY outcome: acknowledged, rejected, unanswered, none yet.
func sampleZones() []wire.ZoneStatus {
	at := t0.Add(-90 * time.Second)
	return []wire.ZoneStatus{
		{Apex: "example.test.", Serial: 2026120501, Signing: &wire.ZoneSigning{
			Keys: []wire.ZoneKey{{Tag: 12345, Algorithm: "ECDSAP256SHA256", SEP: true}, {Tag: 23456, Algorithm: "ECDSAP256SHA256"}},
			DS:   []string{sampleDS}, Signatures: 40, CachedSets: 12, ResignAt: t0.Add(50 * time.Hour)}},
		{Apex: "xfr.test.", Serial: 7, Transfer: &wire.ZoneTransfer{
			Allow: []wire.TransferRule{{Addresses: []string{"192.0.2.0/24"}, Keys: []string{"xfr.example"}}},
			Notify: []wire.NotifyStatus{
				{Address: "192.0.2.53:53", Key: "xfr.example", Result: wire.NotifyAcknowledged, Serial: 7, At: at},
				{Address: "198.51.100.53:53", Result: wire.NotifyRejected, Rcode: "REFUSED", Serial: 7, At: at},
				{Address: "203.0.113.53:53", Result: wire.NotifyUnanswered, Serial: 6, At: at},
				{Address: "203.0.113.54:53", Result: wire.NotifyNone}},
			Journal: wire.JournalStatus{Versions: 3, Oldest: 5, Newest: 7, Bytes: 900}}},
	}
}

// zoneSample is the sample cluster serving sampleZones.
func zoneSample(t testing.TB) *apitest.Backend {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Zones = sampleZones() })
	return f
}

// zoneRow finds the Zones table's row of apex.
func zoneRow(t *testing.T, doc *html.Node, apex string) *html.Node {
	t.Helper()
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && hasAttr(n, "data-zone", apex) })
	if len(rows) != 1 {
		t.Fatalf("found %d Zones rows for %q, want 1", len(rows), apex)
	}
	return rows[0]
}

// TestZonesSection reads the Zones section: the signed zone's serial, key
// tags, re-sign time and DS; the transferred zone's rules, journal and
// each secondary's last NOTIFY in words; and an alert, in words, for each
// secondary whose NOTIFY was rejected or went unanswered, and none for
// the others.
func TestZonesSection(t *testing.T) {
	doc := parse(t, mustBody(t, zoneSample(t), "/"))
	headings := findAll(doc, func(n *html.Node) bool { return n.Data == "h2" && hasAttr(n, "id", "h-zones") })
	if len(headings) != 1 || text(headings[0]) != "Zones" {
		t.Fatal("the page has no Zones section")
	}
	signed := zoneRow(t, doc, "example.test.")
	if !hasAttr(signed, "data-serial", "2026120501") || !hasAttr(one(t, signed, "data-signed"), "data-signed", "12345 23456") {
		t.Errorf("the signed zone's row has %v, want serial 2026120501 signed by 12345 23456", signed.Attr)
	}
	wantText(t, "the signed zone", text(signed), "2026120501",
		"signed with 12345 ECDSAP256SHA256 (SEP), 23456 ECDSAP256SHA256",
		"re-signs at Dec 09 17:30:00 UTC (in 2 d)", "40 signatures made by this node", "example.test. 3600 IN DS 12345 13 2 19C04622", "not transferred")

	xfr := zoneRow(t, doc, "xfr.test.")
	wantText(t, "the transferred zone", text(xfr), "not signed",
		"acknowledged 192.0.2.53:53 key xfr.example acknowledged serial 7 at 15:28:30 UTC (1 min ago)",
		"rejected 198.51.100.53:53 rejected serial 7 (REFUSED) at 15:28:30 UTC (1 min ago)",
		"unanswered 203.0.113.53:53 did not answer serial 6, given up at",
		"none 203.0.113.54:53 no NOTIFY ended yet since this node started",
		"transfers allowed from 192.0.2.0/24 with key xfr.example", "IXFR from serial 5 to 7 (3 versions)")
	states := map[string]string{}
	for _, n := range findAll(xfr, func(n *html.Node) bool { _, ok := attr(n, "data-notify"); return ok }) {
		v, _ := attr(n, "data-notify")
		states[v] = text(n)
	}
	if len(states) != 4 {
		t.Errorf("NOTIFY states shown %v, want the four outcomes each said in words", states)
	}

	alerts := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-notify-failing"); return ok })
	var got []string
	for _, a := range alerts {
		v, _ := attr(a, "data-notify-failing")
		got = append(got, v)
		if !hasAttr(a, "class", "alert") {
			t.Errorf("the NOTIFY alert of %s is not styled as an alert: %v", v, a.Attr)
		}
	}
	if strings.Join(got, "|") != "xfr.test. 198.51.100.53:53|xfr.test. 203.0.113.53:53" {
		t.Errorf("NOTIFY alerts for %q, want the rejected and the unanswered secondary only", got)
	}
	wantText(t, "the alerts", text(alerts[0])+"\n"+text(alerts[1]),
		"NOTIFY of xfr.test. to 198.51.100.53:53: rejected serial 7 (REFUSED) at 15:28:30 UTC (1 min ago): check the secondary's ACL for this node's address and key.",
		"NOTIFY of xfr.test. to 203.0.113.53:53: did not answer serial 6, given up at 15:28:30 UTC (1 min ago): check that it is reachable over UDP")
}

// A node serving no zone yet shows no Zones section.
func TestZonesSectionAbsent(t *testing.T) {
	doc := parse(t, mustBody(t, sample(t), "/"))
	if got := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "id", "h-zones") }); len(got) != 0 {
		t.Error("the page shows a Zones section for a node that serves no zone yet")
	}
}

package api

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/api/apitest"
	"outlast/internal/wire"
)

// sampleZones are a signed zone and a transferred one whose last NOTIFY to
// one secondary went unanswered.
func sampleZones() []wire.ZoneStatus {
	return []wire.ZoneStatus{
		{Apex: "example.test.", Serial: 2026120501, Signing: &wire.ZoneSigning{
			Keys:       []wire.ZoneKey{{Tag: 12345, Algorithm: "ECDSAP256SHA256", SEP: true}},
			DS:         []string{"example.test.\t3600\tIN\tDS\t12345 13 2 ABCDEF"},
			Signatures: 40, CachedSets: 12, ResignAt: t0.Add(72 * time.Hour)}},
		{Apex: "xfr.test.", Serial: 7, Transfer: &wire.ZoneTransfer{
			Allow: []wire.TransferRule{{Addresses: []string{"192.0.2.0/24"}, Keys: []string{"xfr.example."}}},
			Notify: []wire.NotifyStatus{
				{Address: "192.0.2.53:53", Key: "xfr.example.", Result: wire.NotifyAcknowledged, Serial: 7, At: t0},
				{Address: "198.51.100.53:53", Result: wire.NotifyUnanswered, Serial: 7, At: t0}},
			Journal: wire.JournalStatus{Versions: 3, Oldest: 5, Newest: 7, Bytes: 900}}},
	}
}

func TestZones(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Zones = sampleZones() })
	s := serve(t, f, false)
	var got struct{ Zones []wire.ZoneStatus }
	r := call(t, s, "GET", "/api/v1/zones", readToken, "")
	r.decode(t, 200, &got)
	if want := sampleZones(); !reflect.DeepEqual(got.Zones, want) {
		t.Errorf("zones\n%+v\nwant\n%+v", got.Zones, want)
	}
	// The client reads the same.
	zones, err := wire.NewClient(strings.TrimPrefix(s.URL, "http://"), readToken).Zones(t.Context())
	if err != nil || len(zones) != 2 || !zones[1].Transfer.Notify[1].Failing() || zones[1].Transfer.Notify[0].Failing() {
		t.Errorf("client: %+v, %v; want both zones, the second secondary failing", zones, err)
	}
	call(t, s, "GET", "/api/v1/zones", "", "").wantError(t, 401, wire.CodeUnauthorized)
	call(t, s, "POST", "/api/v1/zones", adminToken, "{}").wantError(t, 405, wire.CodeMethodNotAllowed)
}

// A node serving no zone yet says so with an empty list, never null, so a
// script can iterate it.
func TestZonesNone(t *testing.T) {
	s := serve(t, sample(t), true)
	r := call(t, s, "GET", "/api/v1/zones", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"zones": []`) {
		t.Errorf("GET /api/v1/zones with no zones: %d %s, want 200 and an empty list", r.status, r.body)
	}
}

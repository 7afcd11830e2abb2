package node

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/node/nodetest/zonetest"
	"outlast/internal/wire"
)

// TestZoneStatus: a real node signing one zone and serving another to
// secondaries publishes, through GET /api/v1/zones, the signed zone's key,
// its DS and its re-sign time, and the transferred zone's serial, rules
// (key names, never the secret) and each secondary's last NOTIFY: one
// acknowledged, one rejected with its rcode.
func TestZoneStatus(t *testing.T) {
	ack, refuse := zonetest.NotifyReceiver(t, dns.RcodeSuccess), zonetest.NotifyReceiver(t, dns.RcodeRefused)
	cfg, tag := zonetest.Config(t, ack, refuse)
	n := startNode(t, cfg)
	var zones []wire.ZoneStatus
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var code int
		code, body = get(t, n, "/api/v1/zones", "", "")
		var out struct{ Zones []wire.ZoneStatus }
		if code == 200 && json.Unmarshal([]byte(body), &out) == nil {
			zones = out.Zones
		}
		// The serial moves once the cluster agreed on the configuration:
		// wait for both NOTIFYs of the serial served to end.
		if len(zones) == 2 && zones[1].Transfer != nil && len(zones[1].Transfer.Notify) == 2 &&
			zones[1].Transfer.Notify[0].Serial == zones[1].Serial && zones[1].Transfer.Notify[1].Serial == zones[1].Serial {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/zones never showed both zones with both NOTIFY results of the serial served within 20 s; last:\n%s", body)
		}
	}
	if strings.Contains(body, "MDEyMzQ1") || strings.Contains(body, "0123456789abcdef") {
		t.Errorf("the zones show the TSIG secret:\n%s", body)
	}
	signed, xfr := zones[0], zones[1]
	s := signed.Signing
	if signed.Apex != "signed.test." || s == nil || signed.Transfer != nil {
		t.Fatalf("first zone %+v, want signed.test. signed and not transferred", signed)
	}
	if len(s.Keys) != 1 || s.Keys[0] != (wire.ZoneKey{Tag: tag, Algorithm: "ECDSAP256SHA256", SEP: true}) {
		t.Errorf("keys %+v, want the CSK %d", s.Keys, tag)
	}
	if len(s.DS) != 1 || !strings.Contains(s.DS[0], fmt.Sprintf("DS\t%d 13 2 ", tag)) {
		t.Errorf("DS %q, want one SHA-256 DS of key %d", s.DS, tag)
	}
	if s.Signatures == 0 || s.CachedSets == 0 || !s.ResignAt.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("signing %+v, want signatures made, sets cached and a re-sign days away", s)
	}
	tr := xfr.Transfer
	if xfr.Apex != "xfr.test." || tr == nil || xfr.Signing != nil {
		t.Fatalf("second zone %+v, want xfr.test. transferred and not signed", xfr)
	}
	if xfr.Serial == 0 || tr.Journal.Newest != xfr.Serial || tr.Journal.Versions < 1 {
		t.Errorf("serial %d, journal %+v: want the journal's newest version served", xfr.Serial, tr.Journal)
	}
	if len(tr.Allow) != 1 || strings.Join(tr.Allow[0].Addresses, ",") != "127.0.0.0/8" || strings.Join(tr.Allow[0].Keys, ",") != "xfr.example" || tr.Allow[0].MissingKeys != nil {
		t.Errorf("allow %+v, want 127.0.0.0/8 with key xfr.example", tr.Allow)
	}
	got, rej := tr.Notify[0], tr.Notify[1]
	if got.Address != ack || got.Result != wire.NotifyAcknowledged || got.Serial != xfr.Serial || got.At.IsZero() || got.Failing() {
		t.Errorf("notify %+v, want %s acknowledged serial %d", got, ack, xfr.Serial)
	}
	if rej.Address != refuse || rej.Result != wire.NotifyRejected || rej.Rcode != "REFUSED" || !rej.Failing() {
		t.Errorf("notify %+v, want %s rejected with REFUSED", rej, refuse)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/node/nodetest"
	"outlast/internal/node/nodetest/zonetest"
	"outlast/internal/wire"
)

// TestZonesCmd: outlast zones, against a real node, prints the signed
// zone's key tag, its DS to paste at the registrar and its re-sign time,
// the transferred zone's serial and journal, and each secondary's last
// NOTIFY in words, a rejection flagged; -o json gives the API's facts.
func TestZonesCmd(t *testing.T) {
	ack, refuse := zonetest.NotifyReceiver(t, dns.RcodeSuccess), zonetest.NotifyReceiver(t, dns.RcodeRefused)
	cfg, tag := zonetest.Config(t, ack, refuse)
	n := nodetest.Start(t, cfg)
	addr := n.HTTPAddr().String()
	// The serial moves once the cluster agreed on the configuration: wait
	// until the table and the JSON after it show one serial, notified.
	var zones []wire.ZoneStatus
	var out string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, table, errOut := runCmd("zones", "--addr", addr)
		if code != exitOK || errOut != "" {
			t.Fatalf("outlast zones: exit %d, stderr %q", code, errOut)
		}
		code, js, errOut := runCmd("zones", "--addr", addr, "-o", "json")
		if code != exitOK {
			t.Fatalf("outlast zones -o json: exit %d, %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(js), &zones); err != nil {
			t.Fatalf("outlast zones -o json printed no JSON list: %v\n%s", err, js)
		}
		out = table
		if len(zones) == 2 && zones[1].Transfer != nil && notified(zones[1]) && rowOf(table, "xfr.test")[1] == fmt.Sprint(zones[1].Serial) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outlast zones never showed both NOTIFY results of the serial served within 20 s:\n%s\n%s", table, js)
		}
	}
	serial := zones[1].Serial
	if row := rowOf(out, "signed.test"); row[1] != fmt.Sprint(zones[0].Serial) || row[2] != "yes:" || row[3] != fmt.Sprint(tag) || row[5] != "SEP" {
		t.Errorf("signed.test row %q, want serial %d, signed by SEP key %d", row, zones[0].Serial, tag)
	}
	if row := rowOf(out, "xfr.test"); row[2] != "no" {
		t.Errorf("xfr.test row %q, want it unsigned", row)
	}
	for _, want := range []string{
		zones[0].Signing.ResignAt.UTC().Format(time.RFC3339),
		fmt.Sprintf("signed.test. 3600 IN DS %d 13 2 ", tag),
		"2 notified, 1 FAILING",
		fmt.Sprintf("%d..%d (", zones[1].Transfer.Journal.Oldest, serial),
		fmt.Sprintf("%s (key xfr.example): serial %d acknowledged at ", ack, serial),
		fmt.Sprintf("%s: serial %d REJECTED (REFUSED)", refuse, serial),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("outlast zones lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MDEyMzQ1") {
		t.Errorf("outlast zones prints the TSIG secret:\n%s", out)
	}
	if code, _, errOut := runCmd("zones", "extra"); code != exitUsage {
		t.Errorf("outlast zones extra: exit %d (%s), want %d", code, errOut, exitUsage)
	}
}

// notified reports whether both secondaries' last NOTIFY ended, for the
// serial the zone serves: the first acknowledged, the second rejected.
func notified(z wire.ZoneStatus) bool {
	n := z.Transfer.Notify
	return len(n) == 2 && n[0].Result == wire.NotifyAcknowledged && n[1].Result == wire.NotifyRejected &&
		n[0].Serial == z.Serial && n[1].Serial == z.Serial
}

// rowOf is the fields of the table's row of zone (at least six, "" past its end).
func rowOf(table, zone string) []string {
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == zone {
			return append(f, make([]string, 6)...)
		}
	}
	return make([]string, 6)
}

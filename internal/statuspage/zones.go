package statuspage

import (
	"fmt"
	"strings"
	"time"

	"outlast/internal/wire"
)

// zoneView is one zone's row: the serial answered, how it is signed, and
// how its secondaries follow it.
type zoneView struct {
	Apex   string
	Serial uint32
	// Signing is nil for a zone that is not signed.
	Signing *zoneSigningView
	// Transfer is nil for a zone no secondary copies.
	Transfer *zoneTransferView
}

type zoneSigningView struct {
	// Keys read "12345 ECDSAP256SHA256 (SEP)"; Tags are the key tags
	// alone, space-separated, for the tests' data attribute.
	Keys []string
	Tags string
	// DS are the records to paste at the parent, in presentation format
	// with single spaces.
	DS []string
	// ResignAt reads "Dec 09 04:49:29 UTC (in 3 d 23 h)", "" when unknown.
	ResignAt   string
	Signatures uint64
}

type zoneTransferView struct {
	Rules       []string
	Secondaries []secondaryView
	// Journal reads "IXFR from serial 5 to 7 (3 versions)".
	Journal string
}

// secondaryView is one secondary's last NOTIFY in words.
type secondaryView struct {
	Address, Key string
	// Result is acknowledged, rejected, unanswered or none; Class and
	// Symbol show it for the eye, Text says it in words.
	Result, Class, Symbol, Text string
	// Failing: the alert above the table repeats it with what to check.
	Failing bool
	Advice  string
}

// zoneAlert is one NOTIFY that went wrong, said above the zones' table.
type zoneAlert struct {
	Zone, Secondary, Text string
}

// zones are the zones' rows in configuration order, and the alerts of
// secondaries whose last NOTIFY went unanswered or was rejected.
func zones(now time.Time, in []wire.ZoneStatus) ([]zoneView, []zoneAlert) {
	var out []zoneView
	var alerts []zoneAlert
	for _, z := range in {
		v := zoneView{Apex: z.Apex, Serial: z.Serial, Signing: signingOf(now, z.Signing)}
		if z.Transfer != nil {
			v.Transfer = transferOf(now, z.Transfer)
			for _, s := range v.Transfer.Secondaries {
				if s.Failing {
					alerts = append(alerts, zoneAlert{Zone: z.Apex, Secondary: s.Address, Text: s.Text + ": " + s.Advice})
				}
			}
		}
		out = append(out, v)
	}
	return out, alerts
}

func signingOf(now time.Time, s *wire.ZoneSigning) *zoneSigningView {
	if s == nil {
		return nil
	}
	v := &zoneSigningView{Signatures: s.Signatures}
	for _, ds := range s.DS {
		v.DS = append(v.DS, strings.Join(strings.Fields(ds), " ")) // one line to paste, tabs and all
	}
	var tags []string
	for _, k := range s.Keys {
		text := fmt.Sprintf("%d %s", k.Tag, k.Algorithm)
		if k.SEP {
			text += " (SEP)"
		}
		v.Keys = append(v.Keys, text)
		tags = append(tags, fmt.Sprint(k.Tag))
	}
	v.Tags = strings.Join(tags, " ")
	if !s.ResignAt.IsZero() {
		v.ResignAt = clockTime(now, s.ResignAt) + " UTC (in " + span(max(s.ResignAt.Sub(now), 0)) + ")"
	}
	return v
}

func transferOf(now time.Time, t *wire.ZoneTransfer) *zoneTransferView {
	v := &zoneTransferView{}
	for _, r := range t.Allow {
		v.Rules = append(v.Rules, ruleText(r))
	}
	for _, n := range t.Notify {
		v.Secondaries = append(v.Secondaries, secondaryOf(now, n))
	}
	if j := t.Journal; j.Versions > 0 {
		v.Journal = fmt.Sprintf("IXFR from serial %d to %d (%d %s)", j.Oldest, j.Newest, j.Versions, plural(j.Versions, "version", "versions"))
	}
	return v
}

// ruleText says who may transfer: "from 192.0.2.0/24 with key xfr.example".
func ruleText(r wire.TransferRule) string {
	var parts []string
	if len(r.Addresses) > 0 {
		parts = append(parts, "from "+strings.Join(r.Addresses, ", "))
	} else {
		parts = append(parts, "from any address")
	}
	if len(r.Keys) > 0 {
		parts = append(parts, "with key "+strings.Join(r.Keys, " or "))
	}
	if len(r.MissingKeys) > 0 {
		parts = append(parts, "(allows nothing here: this node lacks "+strings.Join(r.MissingKeys, ", ")+" in dns.tsig_keys)")
	}
	return strings.Join(parts, " ")
}

func secondaryOf(now time.Time, n wire.NotifyStatus) secondaryView {
	v := secondaryView{Address: n.Address, Key: n.Key, Result: n.Result, Failing: n.Failing()}
	at := since(now, n.At)
	switch n.Result {
	case wire.NotifyAcknowledged:
		v.Class, v.Symbol = "up", "✓"
		v.Text = fmt.Sprintf("acknowledged serial %d at %s", n.Serial, at)
	case wire.NotifyRejected:
		v.Class, v.Symbol = "down", "✗"
		v.Text = fmt.Sprintf("rejected serial %d (%s) at %s", n.Serial, n.Rcode, at)
		v.Advice = "check the secondary's ACL for this node's address and key"
	case wire.NotifyUnanswered:
		v.Class, v.Symbol = "down", "✗"
		v.Text = fmt.Sprintf("did not answer serial %d, given up at %s", n.Serial, at)
		v.Advice = "check that it is reachable over UDP; its SOA refresh timer still catches up"
	default:
		v.Result, v.Class, v.Symbol = wire.NotifyNone, "unknown", "–"
		v.Text = "no NOTIFY ended yet since this node started"
	}
	return v
}

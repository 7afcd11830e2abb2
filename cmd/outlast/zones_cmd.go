package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"outlast/internal/wire"
)

// zonesCmd: outlast zones. Per zone: the serial answered, whether it is
// signed (key tags, the next re-sign) and how its secondaries follow it;
// then the DS records to paste at each signed zone's registrar, and each
// secondary's last NOTIFY.
func zonesCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("zones", stderr)
	if code, ok := parseFlags(o.fs, args, 0); !ok {
		return code
	}
	ctx, cancel := opsContext()
	defer cancel()
	zones, err := o.client().Zones(ctx)
	return o.finish(stdout, stderr, zones, err, func(w io.Writer) {
		fmt.Fprintln(w, "ZONE\tSERIAL\tSIGNED\tRE-SIGN AT\tSECONDARIES\tIXFR FROM")
		for _, z := range zones {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", strings.TrimSuffix(z.Apex, "."), z.Serial,
				signedText(z.Signing), resignText(z.Signing), secondariesText(z.Transfer), journalText(z.Transfer))
		}
		for _, z := range zones {
			if z.Signing == nil {
				continue
			}
			fmt.Fprintf(w, "\nDS of %s, for its parent (the registrar):\n", z.Apex)
			for _, ds := range z.Signing.DS {
				fmt.Fprintf(w, "  %s\n", strings.Join(strings.Fields(ds), " "))
			}
		}
		for _, z := range zones {
			if z.Transfer == nil || len(z.Transfer.Notify) == 0 {
				continue
			}
			fmt.Fprintf(w, "\nNOTIFY of %s:\n", z.Apex)
			for _, n := range z.Transfer.Notify {
				fmt.Fprintf(w, "  %s\n", notifyText(n))
			}
		}
	})
}

// signedText is "no", or "yes" with the key tags, SEP keys marked.
func signedText(s *wire.ZoneSigning) string {
	if s == nil {
		return "no"
	}
	tags := make([]string, 0, len(s.Keys))
	for _, k := range s.Keys {
		tag := fmt.Sprintf("%d %s", k.Tag, k.Algorithm)
		if k.SEP {
			tag += " SEP"
		}
		tags = append(tags, tag)
	}
	return "yes: " + strings.Join(tags, ", ")
}

func resignText(s *wire.ZoneSigning) string {
	if s == nil || s.ResignAt.IsZero() {
		return "-"
	}
	return s.ResignAt.UTC().Format(time.RFC3339)
}

// secondariesText counts the secondaries notified and says how many
// failed their last NOTIFY.
func secondariesText(t *wire.ZoneTransfer) string {
	if t == nil {
		return "-"
	}
	failing := 0
	for _, n := range t.Notify {
		if n.Failing() {
			failing++
		}
	}
	text := fmt.Sprintf("%d notified", len(t.Notify))
	if failing > 0 {
		text += fmt.Sprintf(", %d FAILING", failing)
	}
	return text
}

func journalText(t *wire.ZoneTransfer) string {
	if t == nil || t.Journal.Versions == 0 {
		return "-"
	}
	return fmt.Sprintf("%d..%d (%d versions)", t.Journal.Oldest, t.Journal.Newest, t.Journal.Versions)
}

// notifyText is one secondary's last NOTIFY in words.
func notifyText(n wire.NotifyStatus) string {
	who := n.Address
	if n.Key != "" {
		who += " (key " + n.Key + ")"
	}
	switch n.Result {
	case wire.NotifyNone:
		return who + ": none sent yet"
	case wire.NotifyAcknowledged:
		return fmt.Sprintf("%s: serial %d acknowledged at %s", who, n.Serial, n.At.UTC().Format(time.RFC3339))
	case wire.NotifyRejected:
		return fmt.Sprintf("%s: serial %d REJECTED (%s) at %s: check its ACL for this node's address and key", who, n.Serial, n.Rcode, n.At.UTC().Format(time.RFC3339))
	default:
		return fmt.Sprintf("%s: serial %d UNANSWERED at %s: check that it is reachable over UDP", who, n.Serial, n.At.UTC().Format(time.RFC3339))
	}
}

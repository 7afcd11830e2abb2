package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/xfr"
)

// secondaries serves the zones of zones[].transfer to secondaries at other
// providers: a journal per zone, fed with each snapshot's version of it,
// the transfer rules the DNS server checks, and a notifier per zone that
// tells the secondaries of each new serial. Every node does this, not only
// the leader: a secondary may transfer from, and take NOTIFY from, any
// node it lists, and a duplicate NOTIFY costs it one SOA query. Only the
// answer loop uses it: no lock.
type secondaries struct {
	key       string // the configuration hash and TSIG keys it was set up from
	journals  map[string]*xfr.Journal
	notifiers map[string]*xfr.Notifier
}

// setUpTransfers makes the server's transfer rules and the notifiers for
// cfg, when the configuration or this node's keys changed (a secret file
// replaced counts: its size and time are part of the key). Journals
// outlive a configuration change, so a secondary can still ask IXFR
// across it. A key that cannot be read is logged once per change and
// leaves the previous rules in place: DNS answers never wait for it.
func (n *Node) setUpTransfers(cfg *config.Config) {
	s := &n.secondaries
	key := cfg.Hash + secretFilesKey(n.local.DNS.TSIGKeys)
	if s.key == key {
		return
	}
	s.key = key
	keys, err := readTSIGKeys(n.local.DNS.TSIGKeys)
	if err != nil {
		n.log.Error("zone transfers not set up: fix the key and reload", "err", err)
		return
	}
	var zones []dnsserver.TransferZone
	journals := make(map[string]*xfr.Journal)
	notifiers := make(map[string]*xfr.Notifier)
	for i := range cfg.Zones {
		z := &cfg.Zones[i]
		if z.Transfer == nil {
			continue
		}
		j := s.journals[z.Apex]
		if j == nil {
			j = xfr.NewJournal(xfr.Limits{})
		}
		journals[z.Apex] = j
		zones = append(zones, dnsserver.TransferZone{Apex: z.Apex, ACLs: n.transferRules(z, keys), Journal: j})
	}
	t, err := dnsserver.NewTransfer(dnsserver.TransferConfig{Zones: zones, OnTransfer: n.countTransfer, OnTSIG: n.countTSIG})
	if err != nil {
		n.log.Error("zone transfers not set up", "err", err)
		return
	}
	for i := range cfg.Zones {
		if z := &cfg.Zones[i]; z.Transfer != nil {
			notifiers[z.Apex] = n.newNotifier(z, keys)
		}
	}
	n.dns.SetTransfer(t)
	s.close()
	s.journals, s.notifiers = journals, notifiers
}

// secretFilesKey names the TSIG keys and the state of their secret files,
// so a replaced secret is read again without a configuration change.
func secretFilesKey(keys []config.TSIGKey) string {
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprint(&b, k)
		if st, err := os.Stat(k.SecretFile); err == nil {
			fmt.Fprint(&b, st.Size(), st.ModTime().UnixNano())
		}
	}
	return b.String()
}

// transferRules turns a zone's allow rules into the server's ACLs. A rule
// naming a key this node lacks (the configuration came through the API
// from a node that has it) is left out, and logged: it allows nothing
// here rather than something else.
func (n *Node) transferRules(z *config.Zone, keys map[string]xfr.Key) xfr.ACLs {
	var acls xfr.ACLs
rules:
	for i, r := range z.Transfer.Allow {
		acl := xfr.ACL{Addresses: r.Addresses}
		for _, name := range r.Keys {
			k, ok := keys[dns.CanonicalName(name)]
			if !ok {
				n.log.Error("zone transfer rule left out: this node has no such TSIG key in dns.tsig_keys",
					"zone", z.Apex, "rule", i, "key", name)
				continue rules
			}
			if acl.Keys == nil {
				acl.Keys = make(map[string]xfr.Key)
			}
			acl.Keys[name] = k
		}
		acls = append(acls, acl)
	}
	return acls
}

func (n *Node) newNotifier(z *config.Zone, keys map[string]xfr.Key) *xfr.Notifier {
	var targets []xfr.Target
	for _, t := range z.Transfer.Notify {
		target := xfr.Target{Addr: t.AddrPort()}
		if t.Key != "" {
			k, ok := keys[dns.CanonicalName(t.Key)]
			if !ok {
				n.log.Error("NOTIFY target left out: this node has no such TSIG key in dns.tsig_keys", "zone", z.Apex, "secondary", t.Address, "key", t.Key)
				continue
			}
			target.KeyName, target.Key = dns.CanonicalName(t.Key), k
		}
		targets = append(targets, target)
	}
	return xfr.NewNotifier(xfr.NotifierConfig{Targets: targets, Logger: n.log.With("zone", z.Apex), OnResult: n.countNotify})
}

// publishZones adds each transferred zone's version in snap to its journal and
// notifies the secondaries when it is new.
func (n *Node) publishZones(snap *dnsserver.Snapshot) {
	for apex, j := range n.secondaries.journals {
		v, err := snap.ZoneVersion(apex)
		if err != nil {
			continue // a holding snapshot serves no zone yet
		}
		added, err := j.AddIfChanged(v)
		if err != nil {
			n.log.Error("zone version not journaled: secondaries keep the previous one", "zone", apex, "serial", v.Serial, "err", err)
			continue
		}
		if added {
			n.metrics.ZoneSerial(apex, v.Serial)
			n.secondaries.notifiers[apex].Notify(v.Records[0].(*dns.SOA))
		}
	}
}

// close stops the notifiers; NOTIFYs still being retried are dropped.
func (s *secondaries) close() {
	for _, nt := range s.notifiers {
		_ = nt.Close()
	}
	s.notifiers = nil
}

// countTransfer counts a transfer request and logs the ones that went
// wrong. A refusal is logged at debug level only: anyone can ask, as often
// as they like, and the metric counts them; a failure can only follow an
// allowed request, so it is worth a warning.
func (n *Node) countTransfer(e dnsserver.TransferEvent) {
	n.metrics.ZoneTransfer(e.Zone, dns.TypeToString[e.Type], e.Result.String())
	level := slog.LevelDebug
	switch e.Result {
	case dnsserver.TransferFailed:
		level = slog.LevelWarn
	case dnsserver.TransferRefused:
	default:
		return
	}
	n.log.Log(context.Background(), level, "zone transfer "+e.Result.String(), "zone", e.Zone, "type", dns.TypeToString[e.Type],
		"remote", e.Remote, "key", e.Key, "err", e.Err)
}

func (n *Node) countTSIG(e dnsserver.TSIGEvent) {
	result := "ok"
	if e.Error != 0 {
		result = strings.ToLower(dns.RcodeToString[e.Error])
	}
	n.metrics.TSIG(e.Key, result)
}

func (n *Node) countNotify(r xfr.Result) {
	n.recordNotify(r)
	n.metrics.ZoneNotify(r.Zone, r.Target.String(), notifyResult(r))
}

// readTSIGKeys reads this node's TSIG secrets, by canonical key name.
func readTSIGKeys(keys []config.TSIGKey) (map[string]xfr.Key, error) {
	out := make(map[string]xfr.Key, len(keys))
	for _, k := range keys {
		f, err := os.Open(k.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("node: TSIG key %s: %w", k.Name, err)
		}
		text, err := io.ReadAll(io.LimitReader(f, config.MaxTSIGSecret+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("node: TSIG key %s: %w", k.Name, err)
		}
		secret, err := config.CheckTSIGSecret(text)
		if err != nil {
			return nil, fmt.Errorf("node: TSIG key %s: %s %w", k.Name, k.SecretFile, err)
		}
		out[dns.CanonicalName(k.Name)] = xfr.Key{Algorithm: dns.Fqdn(k.Algorithm), Secret: secret}
	}
	return out, nil
}

package node

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnssec"
	"outlast/internal/dnsserver"
	"outlast/internal/state"
	"outlast/internal/wire"
	"outlast/internal/xfr"
)

// zoneBoard holds the zones' facts the API and the status page show
// (GET /api/v1/zones). The signers and the journals belong to the answer
// loop, which holds no lock on them; so the loop publishes an immutable
// list at the end of each build (publishZoneStatus), and readers load it.
// NOTIFY results arrive from the notifiers' goroutines and are kept under
// a lock, one per (zone, secondary): the last that ended.
type zoneBoard struct {
	published atomic.Pointer[[]wire.ZoneStatus]

	mu      sync.Mutex
	notices map[notifyKey]notice

	// keys caches each signer's keys and DS, which never change for one
	// signer (the answer loop only).
	keys map[*dnssec.Signer]*wire.ZoneSigning
}

type notifyKey struct {
	zone   string // canonical
	target netip.AddrPort
}

// notice is how one NOTIFY ended.
type notice struct {
	result xfr.Result
	at     time.Time
}

// recordNotify keeps r as its secondary's last NOTIFY result for its zone.
// It runs on a notifier's goroutine (xfr.NotifierConfig.OnResult), and
// only ever for a configured target, so the map is bounded by the
// configuration; publishZoneStatus forgets the targets no longer in it.
func (n *Node) recordNotify(r xfr.Result) {
	b := &n.zones
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notices == nil {
		b.notices = make(map[notifyKey]notice)
	}
	b.notices[notifyKey{dns.CanonicalName(r.Zone), r.Target}] = notice{result: r, at: time.Now()}
}

// publishZoneStatus publishes the facts of cfg's zones as snap serves them
// at st, for the API. Call it from the answer loop after publishZones, so
// the journals hold snap's versions.
func (n *Node) publishZoneStatus(cfg *config.Config, st *state.State, snap *dnsserver.Snapshot) {
	var version uint64
	if st.Config != nil {
		version = st.Config.Version
	}
	tsig := make(map[string]bool, len(n.local.DNS.TSIGKeys))
	for _, k := range n.local.DNS.TSIGKeys {
		tsig[dns.CanonicalName(k.Name)] = true
	}
	seen := make(map[*dnssec.Signer]bool)
	out := make([]wire.ZoneStatus, 0, len(cfg.Zones))
	live := make(map[notifyKey]bool)
	for i := range cfg.Zones {
		z := &cfg.Zones[i]
		zs := wire.ZoneStatus{Apex: dns.CanonicalName(z.Apex), Serial: dnsserver.Serial(z.SOA.Serial, version)}
		if s := n.signers.signers[z.Apex]; s != nil {
			zs.Signing = n.signingOf(s, snap)
			seen[s] = true
		}
		if z.Transfer != nil {
			zs.Transfer = n.transferOf(z, tsig, live)
			// The serial buildAnswers gave snap's copy (zoneserial).
			if serial, _, ok := n.serials.numberer.Last(z.Apex); ok {
				zs.Serial = serial
			}
		}
		out = append(out, zs)
	}
	n.zones.forget(seen, live)
	n.zones.published.Store(&out)
}

// signingOf is a signed zone's facts: its keys and DS (cached per signer,
// since they never change for one), its counts now, snap's re-sign time.
func (n *Node) signingOf(s *dnssec.Signer, snap *dnsserver.Snapshot) *wire.ZoneSigning {
	b := &n.zones
	if b.keys == nil {
		b.keys = make(map[*dnssec.Signer]*wire.ZoneSigning)
	}
	keys := b.keys[s]
	if keys == nil {
		keys = keysOf(s)
		b.keys[s] = keys
	}
	out := *keys // the slices are shared and never changed
	st := s.Stats()
	out.Signatures, out.CachedSets, out.ResignAt = st.Signed, st.CachedSets, snap.ResignAt()
	return &out
}

// keysOf lists a signer's DNSKEYs and the DS records of its SEP keys.
func keysOf(s *dnssec.Signer) *wire.ZoneSigning {
	out := &wire.ZoneSigning{Keys: []wire.ZoneKey{}, DS: []string{}}
	for _, rr := range s.DNSKEY() {
		k := rr.(*dns.DNSKEY)
		out.Keys = append(out.Keys, wire.ZoneKey{Tag: k.KeyTag(), Algorithm: dns.AlgorithmToString[k.Algorithm], SEP: k.Flags&dns.SEP != 0})
	}
	ds, err := s.DS(dns.SHA256)
	if err != nil {
		return out // SHA-256 is always accepted
	}
	for _, rr := range ds {
		out.DS = append(out.DS, rr.String())
	}
	return out
}

// transferOf is a transferred zone's facts: its rules (key names only),
// its secondaries' last NOTIFY, its journal. It marks in live the
// (zone, secondary) pairs configured.
func (n *Node) transferOf(z *config.Zone, tsig map[string]bool, live map[notifyKey]bool) *wire.ZoneTransfer {
	out := &wire.ZoneTransfer{Allow: make([]wire.TransferRule, 0, len(z.Transfer.Allow))}
	for _, r := range z.Transfer.Allow {
		rule := wire.TransferRule{Keys: r.Keys}
		for _, p := range r.Addresses {
			rule.Addresses = append(rule.Addresses, p.String())
		}
		for _, k := range r.Keys {
			if !tsig[dns.CanonicalName(k)] {
				rule.MissingKeys = append(rule.MissingKeys, k)
			}
		}
		out.Allow = append(out.Allow, rule)
	}
	if j := n.secondaries.journals[z.Apex]; j != nil {
		st := j.Stats()
		out.Journal = wire.JournalStatus{Versions: st.Versions, Oldest: st.Oldest, Newest: st.Newest, Bytes: st.Bytes}
	}
	apex := dns.CanonicalName(z.Apex)
	n.zones.mu.Lock()
	defer n.zones.mu.Unlock()
	for _, t := range z.Transfer.Notify {
		k := notifyKey{apex, t.AddrPort()}
		live[k] = true
		out.Notify = append(out.Notify, notifyStatusOf(t, n.zones.notices[k]))
	}
	return out
}

// notifyStatusOf says how the last NOTIFY to t ended (c is zero when none has).
func notifyStatusOf(t config.NotifyTarget, c notice) wire.NotifyStatus {
	out := wire.NotifyStatus{Address: t.AddrPort().String(), Key: t.Key, Result: wire.NotifyNone}
	if c.at.IsZero() {
		return out
	}
	out.Result, out.Serial, out.At = notifyResult(c.result), c.result.Serial, c.at
	if out.Result == wire.NotifyRejected {
		out.Rcode = dns.RcodeToString[c.result.Rcode]
	}
	return out
}

// notifyResult names how a NOTIFY ended, as the metrics do
// (outlast_zone_notifies_total's result label).
func notifyResult(r xfr.Result) string {
	switch {
	case r.Err == nil:
		return wire.NotifyAcknowledged
	case r.Rcode != 0:
		return wire.NotifyRejected
	default:
		return wire.NotifyUnanswered
	}
}

// forget drops the cached keys of signers no longer in use and the NOTIFY
// results of secondaries no longer configured, so neither outgrows the
// configuration.
func (b *zoneBoard) forget(signers map[*dnssec.Signer]bool, live map[notifyKey]bool) {
	for s := range b.keys {
		if !signers[s] {
			delete(b.keys, s)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.notices {
		if !live[k] {
			delete(b.notices, k)
		}
	}
}

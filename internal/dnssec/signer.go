package dnssec

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Options tune a Signer; the zero value gives the defaults.
type Options struct {
	// Validity is how long a signature is valid from its inception (default 7 days). See the package
	// doc for why a week.
	Validity time.Duration
	// Refresh: a set is re-signed (NeedsResign is true) when less than this is left of its
	// signatures' validity (default 2 days). It must exceed the longest TTL the zone serves.
	Refresh time.Duration
	// Jitter is the most that is taken off a signature's expiration, by a hash of its owner name and
	// type, so the sets of a zone do not all fall due for re-signing in the same hour (default 1 day).
	// The same set gets the same jitter on every node.
	Jitter time.Duration
	// KeyTTL is the TTL of the DNSKEY, CDS and CDNSKEY records (default 3600 s).
	KeyTTL uint32
	// DenialTTL is the TTL of the NSEC records Deny makes. Set it to the smaller of the zone's SOA
	// TTL and SOA MINIMUM (RFC 9077) (default 300 s).
	DenialTTL uint32
	// DenialRate is how many denials of nonexistent names may be signed
	// afresh each second by DenyLimited, the queries over UDP, whose
	// source can be forged (default 2000: about 12% of a core at the
	// 58 µs BenchmarkDeny's ECDSA P-256 miss took on a loaded 2-core
	// machine; at most 1000000). Cached denials do not count.
	DenialRate int
	// Clock is the time DenialRate is counted on (default time.Now).
	Clock func() time.Time
	// DenialCache is how many signed denials are kept (default 10000, at most 1000000); an
	// estimated 1 KB each (NSEC, RRSIG and key; not measured).
	DenialCache int
	// SigCache is how many signed sets SignCached keeps between builds (default 100000, at most
	// 1000000); an estimated 0.5 KB each with one key (the set's wire form as key, an RRSIG).
	SigCache int
}

const (
	defaultValidity    = 7 * 24 * time.Hour
	defaultRefresh     = 2 * 24 * time.Hour
	defaultJitter      = 24 * time.Hour
	defaultKeyTTL      = 3600
	defaultDenialTTL   = 300
	defaultDenialCache = 10000
	defaultDenialRate  = 2000
	maxDenialRate      = 1000000
	maxDenialCache     = 1000000
	defaultSigCache    = 100000
	maxSigCache        = 1000000
	// inceptionBackdate is taken off the hour-rounded time for inception, so validators whose clocks
	// lag ours by up to an hour still accept a signature made a moment ago.
	inceptionBackdate = time.Hour
	// maxValidity keeps the window inside RFC 4034's serial-arithmetic range with a wide margin.
	maxValidity = 90 * 24 * time.Hour
)

// withDefaults fills zero fields and checks the durations fit together.
func (o Options) withDefaults() (Options, error) {
	o.Validity = cmp.Or(o.Validity, defaultValidity)
	o.Refresh = cmp.Or(o.Refresh, defaultRefresh)
	o.Jitter = cmp.Or(o.Jitter, defaultJitter)
	o.KeyTTL = cmp.Or(o.KeyTTL, defaultKeyTTL)
	o.DenialTTL = cmp.Or(o.DenialTTL, defaultDenialTTL)
	o.DenialCache = cmp.Or(o.DenialCache, defaultDenialCache)
	o.DenialRate = cmp.Or(o.DenialRate, defaultDenialRate)
	o.SigCache = cmp.Or(o.SigCache, defaultSigCache)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	switch {
	case o.Validity < 0 || o.Refresh < 0 || o.Jitter < 0 || o.DenialCache < 0 || o.SigCache < 0 || o.DenialRate < 0:
		return o, fmt.Errorf("dnssec: options: durations and sizes must not be negative (%+v)", o)
	case o.Validity > maxValidity:
		return o, fmt.Errorf("dnssec: options: validity %s is longer than %s", o.Validity, maxValidity)
	case o.Refresh+o.Jitter+2*time.Hour >= o.Validity:
		return o, fmt.Errorf("dnssec: options: refresh %s plus jitter %s plus 2h must be less than validity %s, or a fresh signature would already be due", o.Refresh, o.Jitter, o.Validity)
	case o.DenialRate > maxDenialRate:
		return o, fmt.Errorf("dnssec: options: denial rate %d is more than %d a second", o.DenialRate, maxDenialRate)
	case o.DenialCache > maxDenialCache:
		return o, fmt.Errorf("dnssec: options: denial cache %d is more than %d entries", o.DenialCache, maxDenialCache)
	case o.SigCache > maxSigCache:
		return o, fmt.Errorf("dnssec: options: signature cache %d is more than %d sets", o.SigCache, maxSigCache)
	}
	return o, nil
}

// Signer signs the records of one zone. It is safe for concurrent use.
type Signer struct {
	zone   string
	opts   Options
	sep    []*Key // sign DNSKEY, CDS, CDNSKEY
	zsk    []*Key // sign everything else
	keys   []*Key
	deny   *denialCache
	budget *denialBudget
	sigs   *sigCache
	// signed counts the RRSIGs made, for Stats.
	signed atomic.Uint64
}

// NewSigner makes a Signer for zone with keys, all of which must belong to it and at least one of
// which must have the SEP flag. Keys with SEP sign the DNSKEY, CDS and CDNSKEY sets; the others sign
// the rest; when all keys have SEP (one CSK, or two during a rollover), they sign everything.
func NewSigner(zone string, keys []*Key, opts Options) (*Signer, error) {
	zone = dns.CanonicalName(zone)
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Signer{zone: zone, opts: opts, keys: keys, deny: newDenialCache(opts.DenialCache),
		budget: newDenialBudget(opts.DenialRate), sigs: newSigCache(opts.SigCache)}
	for _, k := range keys {
		if k.Zone() != zone {
			return nil, fmt.Errorf("%w: key %s is for zone %s, not %s", ErrZoneMismatch, k.Base, k.Zone(), zone)
		}
		if k.SEP() {
			s.sep = append(s.sep, k)
		} else {
			s.zsk = append(s.zsk, k)
		}
	}
	if len(s.sep) == 0 {
		return nil, fmt.Errorf("%w: zone %s has %d keys and none with the SEP flag (257); make a CSK with `outlast dnssec keygen` (the default)", ErrKeys, zone, len(keys))
	}
	if len(s.zsk) == 0 {
		s.zsk = s.sep
	}
	return s, nil
}

// Zone is the zone the Signer signs, lowercased and fully qualified.
func (s *Signer) Zone() string { return s.zone }

// Window is the validity window a signature over the set (owner, rrtype) made at now gets: the same on
// every node for the same hour. See the package doc.
func (s *Signer) Window(owner string, rrtype uint16, now time.Time) (inception, expiration time.Time) {
	inception = now.UTC().Truncate(time.Hour).Add(-inceptionBackdate)
	expiration = inception.Add(s.opts.Validity - s.jitter(owner, rrtype))
	return inception, expiration
}

// jitter is a duration in [0, Jitter) in whole seconds, from a hash of the set's canonical owner and type.
func (s *Signer) jitter(owner string, rrtype uint16) time.Duration {
	secs := uint64(s.opts.Jitter / time.Second)
	if secs == 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(dns.CanonicalName(owner)))
	h.Write([]byte{byte(rrtype >> 8), byte(rrtype)})
	return time.Duration(h.Sum64()%secs) * time.Second
}

// Sign returns the RRSIGs over rrset (one per signing key) made at now, with the RRset's TTL. The
// records must be one RRset (same owner, class and type) inside the zone, and not RRSIGs.
func (s *Signer) Sign(rrset []dns.RR, now time.Time) ([]dns.RR, error) {
	if err := s.checkRRset(rrset); err != nil {
		return nil, err
	}
	h := rrset[0].Header()
	keys := s.zsk
	switch h.Rrtype {
	case dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY:
		keys = s.sep // RFC 7344 4.1: CDS/CDNSKEY signed by a key the parent's DS names
	}
	inc, exp := s.Window(h.Name, h.Rrtype, now)
	sigs := make([]dns.RR, 0, len(keys))
	for _, k := range keys {
		sig := &dns.RRSIG{
			Hdr:       dns.RR_Header{Ttl: h.Ttl},
			Algorithm: k.DNSKEY.Algorithm, KeyTag: k.tag, SignerName: s.zone,
			Inception: uint32(inc.Unix()), Expiration: uint32(exp.Unix()),
		}
		if err := sig.Sign(k.signer, rrset); err != nil {
			return nil, fmt.Errorf("dnssec: sign %s %s with key %d: %w", h.Name, dns.TypeToString[h.Rrtype], k.tag, err)
		}
		sigs = append(sigs, sig)
	}
	s.signed.Add(uint64(len(sigs)))
	return sigs, nil
}

// checkRRset holds Sign's input to one RRset in the zone.
func (s *Signer) checkRRset(rrset []dns.RR) error {
	if len(rrset) == 0 {
		return fmt.Errorf("%w: no records", ErrRRset)
	}
	if !dns.IsRRset(rrset) {
		return fmt.Errorf("%w: records differ in owner, class or type (first %s)", ErrRRset, rrset[0].Header().Name)
	}
	h := rrset[0].Header()
	switch h.Rrtype {
	case dns.TypeRRSIG, dns.TypeOPT:
		return fmt.Errorf("%w: %s records are never signed", ErrRRset, dns.TypeToString[h.Rrtype])
	}
	if !dns.IsSubDomain(s.zone, h.Name) {
		return fmt.Errorf("%w: %s is not in zone %s", ErrOutOfZone, h.Name, s.zone)
	}
	return nil
}

// NeedsResign reports whether a set's signatures should be made again at now: there are none, one
// expires in less than Options.Refresh, or one is not valid yet (the clock went back).
func (s *Signer) NeedsResign(sigs []dns.RR, now time.Time) bool {
	if len(sigs) == 0 {
		return true
	}
	for _, rr := range sigs {
		sig, ok := rr.(*dns.RRSIG)
		if !ok || !sig.ValidityPeriod(now) || !sig.ValidityPeriod(now.Add(s.opts.Refresh)) {
			return true
		}
	}
	return false
}

// DNSKEY is the zone's DNSKEY RRset: every key, published at the apex with Options.KeyTTL.
func (s *Signer) DNSKEY() []dns.RR {
	out := make([]dns.RR, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, s.apexKey(k))
	}
	return out
}

// CDNSKEY is the CDNSKEY RRset (RFC 7344): the SEP keys, for a parent that reads them to update the DS.
func (s *Signer) CDNSKEY() []dns.RR {
	out := make([]dns.RR, 0, len(s.sep))
	for _, k := range s.sep {
		out = append(out, s.apexKey(k).ToCDNSKEY())
	}
	return out
}

// CDS is the CDS RRset (RFC 7344): the SHA-256 digests of the SEP keys.
func (s *Signer) CDS() []dns.RR {
	out := make([]dns.RR, 0, len(s.sep))
	for _, k := range s.sep {
		out = append(out, s.apexKey(k).ToDS(dns.SHA256).ToCDS())
	}
	return out
}

// DS is the DS RRset to put at the parent, one per SEP key, with the given digest (0 means
// dns.SHA256; dns.SHA384 is the other accepted one: SHA-1 is deprecated by RFC 8624).
func (s *Signer) DS(digest uint8) ([]dns.RR, error) {
	if digest == 0 {
		digest = dns.SHA256
	}
	if digest != dns.SHA256 && digest != dns.SHA384 {
		return nil, fmt.Errorf("dnssec: DS digest type %d: use 2 (SHA-256, the default) or 4 (SHA-384)", digest)
	}
	out := make([]dns.RR, 0, len(s.sep))
	for _, k := range s.sep {
		out = append(out, s.apexKey(k).ToDS(digest))
	}
	return out, nil
}

// apexKey is a copy of k's DNSKEY with the zone's key TTL, so callers can never change the Key's own.
func (s *Signer) apexKey(k *Key) *dns.DNSKEY {
	c := dns.Copy(k.DNSKEY).(*dns.DNSKEY)
	c.Hdr.Name = s.zone
	c.Hdr.Class = dns.ClassINET
	c.Hdr.Ttl = s.opts.KeyTTL
	return c
}

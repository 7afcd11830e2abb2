package dnsserver

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnssec"
)

// Online signing. A signed zone's answers are signed when the snapshot is
// built, never per query: every authoritative RRset (addresses, each
// weighted pool's and each area's, CNAMEs and every element of a chain,
// static sets, the apex SOA twice, as answered and with the negative TTL,
// the apex NS, DNSKEY, CDS and CDNSKEY, DS at delegations, the RFC 8482
// HINFO) gets its RRSIGs in wire form beside its records (wireRR.sigs),
// and every existing name its compact denial (node.denial: an NSEC whose
// bitmap lists the name's types). A query with the DO bit copies them after
// their sets; one without is answered exactly as before. Only a name that
// does not exist is denied per query (Signer.Deny, which caches), as any
// name can be asked. Delegation NS sets and glue are not signed: the child
// is their authority (RFC 4035 2.2).
//
// Signatures outlive a snapshot in their Signer (SignCached), so a rebuild
// signs only the sets that changed; after each build every signer is swept
// of the sets that build did not use.

// settings are Static's per-zone settings, keyed by lower-case wire apex.
type settings struct {
	serials map[string]uint32
	signers map[string]*dnssec.Signer
	now     time.Time
}

// zoneSettings normalizes Static.Serials and Static.Signers.
func zoneSettings(st *Static) (*settings, error) {
	set := &settings{serials: make(map[string]uint32, len(st.Serials)), signers: make(map[string]*dnssec.Signer, len(st.Signers)), now: st.Now}
	for apex, serial := range st.Serials {
		wire, err := wireName(apex)
		if err != nil {
			return nil, fmt.Errorf("dnsserver: Static.Serials: %w", err)
		}
		set.serials[string(wire)] = serial
	}
	for apex, signer := range st.Signers {
		wire, err := wireName(apex)
		if err != nil {
			return nil, fmt.Errorf("dnsserver: Static.Signers: %w", err)
		}
		if signer == nil {
			return nil, fmt.Errorf("dnsserver: Static.Signers[%q] is nil; leave the zone out to serve it unsigned", apex)
		}
		if sw, err := wireName(signer.Zone()); err != nil || string(sw) != string(wire) {
			return nil, fmt.Errorf("dnsserver: Static.Signers[%q] signs zone %s, not %s", apex, signer.Zone(), apex)
		}
		set.signers[string(wire)] = signer
	}
	if len(set.signers) > 0 && st.Now.IsZero() {
		return nil, errors.New("dnsserver: Static.Now is zero but zones are signed: set it to the time the snapshot is built")
	}
	return set, nil
}

// check refuses settings for zones that are not configured: a typo would
// otherwise serve a zone unsigned, or with the wrong serial, silently.
func (set *settings) check(s *Snapshot) error {
	var errs []error
	for _, m := range []struct {
		field string
		keys  []string
	}{{"Serials", slices.Sorted(maps.Keys(set.serials))}, {"Signers", slices.Sorted(maps.Keys(set.signers))}} {
		for _, k := range m.keys {
			if s.zones[k] == nil {
				errs = append(errs, fmt.Errorf("dnsserver: Static.%s names zone %s, which is not configured", m.field, present([]byte(k))))
			}
		}
	}
	return errors.Join(errs...)
}

// notStatic are types a signed zone makes itself, refused from its static
// records: its own keys at the apex, and signatures and denials anywhere.
var notStatic = []uint16{dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM}

// apexKeyTypes are the sets addKeys makes at a signed zone's apex.
var apexKeyTypes = []uint16{dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY}

// addKeys puts each signed zone's DNSKEY, CDS and CDNSKEY sets at its apex.
func (s *Snapshot) addKeys() error {
	var errs []error
	for _, k := range sortedNames(s.names) {
		n := s.names[k]
		if n.zone.signer == nil {
			continue
		}
		for _, set := range n.sets {
			t := set.rrtype
			if slices.Contains(notStatic, t) || n.apex && slices.Contains(apexKeyTypes, t) {
				errs = append(errs, fmt.Errorf("dnsserver: %s: static %s records in a signed zone: the signer makes them from the zone's keys", present([]byte(k)), dns.TypeToString[t]))
			}
		}
		if !n.apex {
			continue
		}
		signer := n.zone.signer
		for _, keys := range [][]dns.RR{signer.DNSKEY(), signer.CDS(), signer.CDNSKEY()} {
			set := rrset{rrtype: keys[0].Header().Rrtype}
			for _, rr := range keys {
				w, err := ownedBy(rr, len(k))
				errs = append(errs, err)
				set.rrs = append(set.rrs, w)
			}
			n.sets = append(n.sets, set)
		}
	}
	return errors.Join(errs...)
}

// ResignAt is the earliest time some signature of this snapshot falls due
// for re-signing (dnssec.Signer.NeedsResign): build a new snapshot then,
// even if nothing else changed. Zero when no zone is signed.
func (s *Snapshot) ResignAt() time.Time { return s.resignAt }

// sign signs every signed zone's answers (see the comment at the top of
// this file), once the snapshot is otherwise complete, then sweeps each
// signer's cache of the sets this build did not use.
func (s *Snapshot) sign() error {
	var errs []error
	swept := make(map[*dnssec.Signer]bool)
	for _, k := range sortedNames(s.names) {
		n := s.names[k]
		if n.zone.signer == nil {
			continue
		}
		if n.apex {
			owner := present([]byte(k))
			errs = append(errs, s.signSet(n.zone, owner, n.zone.soa), s.signSet(n.zone, owner, n.zone.negSOA), s.signSet(n.zone, owner, n.zone.ns))
		}
		errs = append(errs, s.signNode(k, n))
		swept[n.zone.signer] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for signer := range swept {
		signer.Sweep()
	}
	return nil
}

// signNode signs what name k answers with from n (a name, or one area's
// view of a geo name), and makes its denial.
func (s *Snapshot) signNode(k string, n *node) error {
	z, owner := n.zone, present([]byte(k))
	if n.cut != nil {
		if n != n.cut {
			return nil // below a delegation: the child's data, not ours to sign
		}
		return s.signCut(k, n)
	}
	var errs []error
	for _, set := range []*addrSet{n.a, n.aaaa} {
		if set == nil {
			continue
		}
		errs = append(errs, s.signSet(z, owner, set.fixed))
		for _, pool := range set.pools {
			errs = append(errs, s.signSet(z, owner, pool))
		}
	}
	if n.cname != nil {
		errs = append(errs, s.signCNAME(k, n.cname))
	}
	for i := range n.sets {
		errs = append(errs, s.signSet(z, owner, n.sets[i].rrs))
	}
	errs = append(errs, s.signSet(z, owner, n.hinfo))
	if n.cname == nil { // a CNAME answers every type: it is never denied
		var err error
		n.denial, err = s.deny(z, []byte(k), true, n.types())
		errs = append(errs, err)
	}
	if n.geo != nil {
		for _, v := range n.geo.views {
			if v != nil {
				errs = append(errs, s.signNode(k, v))
			}
		}
	}
	return errors.Join(errs...)
}

// signCut signs a delegation's DS set, and makes what its referrals and its
// DS NODATA carry: the DS set, or the NSEC proving there is none.
func (s *Snapshot) signCut(k string, n *node) error {
	var err error
	if n.denial, err = s.deny(n.zone, []byte(k), true, n.types()); err != nil {
		return err
	}
	n.proof = n.denial
	if ds := n.find(dns.TypeDS); ds != nil {
		n.proof = ds.rrs
		return s.signSet(n.zone, present([]byte(k)), ds.rrs)
	}
	return nil
}

// types are the types name n holds, for its NSEC bitmap: those it answers
// with data (a service's empty or unresolved answer holds none). A
// delegation point holds only NS and DS (check refuses the rest).
func (n *node) types() []uint16 {
	var types []uint16
	if n.apex {
		types = append(types, dns.TypeSOA, dns.TypeNS)
	}
	if n.cut == nil && holds(n.a) {
		types = append(types, dns.TypeA)
	}
	if n.cut == nil && holds(n.aaaa) {
		types = append(types, dns.TypeAAAA)
	}
	for i := range n.sets {
		types = append(types, n.sets[i].rrtype)
	}
	return types
}

func holds(set *addrSet) bool {
	return set != nil && !set.unresolved && (len(set.fixed) > 0 || len(set.pools) > 0)
}

// signCNAME signs a CNAME's chain, or each weighted pool's.
func (s *Snapshot) signCNAME(k string, c *cname) error {
	if !c.weighted() {
		return s.signChain(k, c)
	}
	var errs []error
	for i := range c.pools {
		errs = append(errs, s.signChain(k, &c.pools[i]))
	}
	return errors.Join(errs...)
}

// signChain signs each CNAME of a chain with its owner's zone's signer
// (a chain may cross zones, signed or not) and, when the chain ends at a
// missing name of a signed zone, makes that name's denial.
func (s *Snapshot) signChain(k string, c *cname) error {
	owner := []byte(k)
	for i := range c.chain {
		rr, err := rrOf(present(owner), &c.chain[i])
		if err != nil {
			return err
		}
		if z := s.zoneFor(owner); z != nil && z.signer != nil {
			if err := s.signSet(z, present(owner), c.chain[i:i+1]); err != nil {
				return err
			}
		}
		if owner, err = wireName(rr.(*dns.CNAME).Target); err != nil {
			return err
		}
	}
	if c.nx != nil && c.nx.signer != nil {
		var err error
		c.nxDenial, err = s.deny(c.nx, owner, false, nil)
		return err
	}
	return nil
}

// signSet signs one RRset of zone z owned by owner (presentation form),
// puts the RRSIGs on each of its records and notes when they fall due.
func (s *Snapshot) signSet(z *zone, owner string, rrs []wireRR) error {
	if len(rrs) == 0 {
		return nil
	}
	set := make([]dns.RR, len(rrs))
	for i := range rrs {
		rr, err := rrOf(owner, &rrs[i])
		if err != nil {
			return err
		}
		set[i] = rr
	}
	sigs, err := z.signer.SignCached(set, z.now)
	if err != nil {
		return fmt.Errorf("dnsserver: signing %s %s: %w", owner, dns.TypeToString[set[0].Header().Rrtype], err)
	}
	w, err := sigWires(sigs, rrs[0].suffix, rrs[0].owner)
	if err != nil {
		return err
	}
	for i := range rrs {
		rrs[i].sigs = w
	}
	s.due(z.signer.ResignAt(sigs))
	return nil
}

// deny makes the signed compact denial of the name owner (lower-case wire
// form) in zone z, written owned by the name where it is the question name
// or a chain's last target.
func (s *Snapshot) deny(z *zone, owner []byte, exists bool, types []uint16) ([]wireRR, error) {
	nsec, sigs, err := z.signer.Deny(present(owner), exists, types, z.now)
	if err != nil {
		return nil, fmt.Errorf("dnsserver: denial for %s: %w", present(owner), err)
	}
	s.due(z.signer.ResignAt(sigs))
	return denialWire(nsec, sigs, len(owner))
}

// denialWire is a denial's NSEC with its RRSIGs, owned by the reference
// name's suffix of length suffix.
func denialWire(nsec dns.RR, sigs []dns.RR, suffix int) ([]wireRR, error) {
	tail, err := packTail(dns.Copy(nsec)) // shared with the signer's cache: never changed
	if err != nil {
		return nil, err
	}
	w := wireRR{suffix: suffix, tail: tail}
	if w.sigs, err = sigWires(sigs, suffix, nil); err != nil {
		return nil, err
	}
	return []wireRR{w}, nil
}

func (s *Snapshot) due(at time.Time) {
	if !at.IsZero() && (s.resignAt.IsZero() || at.Before(s.resignAt)) {
		s.resignAt = at
	}
}

// sigWires packs RRSIGs owned as their set is (suffix, or the literal owner).
func sigWires(sigs []dns.RR, suffix int, owner []byte) ([]wireRR, error) {
	out := make([]wireRR, len(sigs))
	for i, sig := range sigs {
		tail, err := packTail(dns.Copy(sig)) // shared with the signer's cache: never changed
		if err != nil {
			return nil, err
		}
		out[i] = wireRR{suffix: suffix, owner: owner, tail: tail}
	}
	return out, nil
}

// rrOf unpacks a precomputed record back into a dns.RR owned by owner, so
// the signer sees exactly the bytes the server sends.
func rrOf(owner string, w *wireRR) (dns.RR, error) {
	buf := make([]byte, 1+len(w.tail)) // the root owner, then the tail
	copy(buf[1:], w.tail)
	rr, _, err := dns.UnpackRR(buf, 0)
	if err != nil {
		return nil, fmt.Errorf("dnsserver: unpacking %s's record to sign it: %w", owner, err)
	}
	rr.Header().Name = owner
	return rr, nil
}

// sigsOf returns the RRSIGs of the RRset rrs, nil when it is unsigned.
func sigsOf(rrs []wireRR) []wireRR {
	if len(rrs) == 0 {
		return nil
	}
	return rrs[0].sigs
}

// signedSize is what the DO bit adds to the answer and authority sections:
// the RRSIGs of each set and the denial. It does not allocate.
func (rep *reply) signedSize() int {
	n := setSize(sigsOf(rep.answer)) + setSize(sigsOf(rep.authority)) + setSize(rep.denial) + setSize(sigsOf(rep.denial))
	for i := range rep.chain {
		n += setSize(rep.chain[i].sigs)
	}
	return n
}

// appendSigned writes the answer and authority sections for a query with
// the DO bit, each RRset followed by its RRSIGs, and returns their record
// counts. A chain's RRSIGs follow each CNAME and are owned as it is, so
// they point at the same reference; the next CNAME's owner is still the
// target that ends the CNAME record, just before its RRSIGs.
func appendSigned(out []byte, rep *reply, ref int) ([]byte, int, int) {
	an := len(rep.chain) + len(rep.answer) + len(sigsOf(rep.answer))
	for i := range rep.chain {
		rr := &rep.chain[i]
		out = rr.appendTo(out, ref)
		next := len(out)
		out = appendRotated(out, rr.sigs, 0, ref)
		an += len(rr.sigs)
		ref = next
	}
	out = appendRotated(out, rep.answer, rep.rotate, ref)
	out = appendRotated(out, sigsOf(rep.answer), 0, ref)
	out = appendRotated(out, rep.authority, 0, ref)
	out = appendRotated(out, sigsOf(rep.authority), 0, ref)
	out = appendRotated(out, rep.denial, 0, ref)
	out = appendRotated(out, sigsOf(rep.denial), 0, ref)
	ns := len(rep.authority) + len(sigsOf(rep.authority)) + len(rep.denial) + len(sigsOf(rep.denial))
	return out, an, ns
}

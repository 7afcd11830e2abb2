package dnsserver

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnssec"
)

// Static is what a Snapshot serves besides the steered answers: the zones'
// ordinary records, and the configuration version that sets their serial.
//
// Records are answered as an authoritative server answers them (RFC 1034
// 4.3.2):
//
//   - A name's RRset of the asked type is the answer, AA set. A name that
//     exists without that type (an empty non-terminal included) answers
//     NODATA, and a name that does not exist NXDOMAIN, both with the zone's
//     SOA in authority, its TTL min(SOA TTL, minimum) (RFC 2308 5).
//   - A CNAME answers every type but CNAME and ANY with itself followed by
//     its chain, while the targets are served here, up to maxChain records
//     and never round a loop. The rcode and authority then follow the last
//     target (RFC 6604): NXDOMAIN or NODATA with that zone's SOA. A chain
//     that leaves the served zones, or enters a delegation, ends with its
//     last CNAME: outlast does not recurse.
//   - An NS set below the apex is a delegation: every question at or below
//     it gets a referral (AA clear, the NS set in authority, the A and AAAA
//     of its nameservers below the delegation as required glue, those
//     elsewhere in the zone as optional glue), except DS at the delegation
//     point, which the parent answers: the DS set if one is held, else
//     NODATA.
//   - MX, SRV and NS answers carry the static A and AAAA of their targets
//     that are authoritative here, in the additional section, in the order
//     of the targets, A before AAAA; left out, without TC, when they do not
//     fit. Steered addresses are never added there: a steered name is only
//     answered when asked, so its weighting and short TTL apply.
//   - Names match case-insensitively; every record owned by the question
//     name, or a name above it, carries the question's case (as the steered
//     answers always did); records owned by a CNAME's target carry the case
//     of the CNAME's data, and additional records are written in lower case.
//
// A steered answer replaces the static A, AAAA and CNAME records of its
// name (all of them, whichever types the service answers); the name's other
// static types (MX, TXT, CAA...) stay and are answered beside it, except
// beside a steered CNAME, which NewSnapshot refuses. A steered CNAME is
// answered, and its chain followed, as a static one.
//
// NewSnapshot refuses: records keyed by a zone that is not configured or
// lying outside it; the apex SOA and NS (they come from the zone's soa and
// ns settings); SOA elsewhere, DNAME, wildcard owners and meta types, which
// outlast does not serve; a CNAME beside other data, at the apex, or two at
// one name; data other than NS, DS, A and AAAA at or below a delegation,
// and a steered answer there; a static address set at an in-zone nameserver
// name that differs from the zone's ns addresses. Records inside a deeper
// zone this snapshot also serves are the parent's copy of that delegation:
// its NS set and addresses are skipped, anything else is refused.
type Static struct {
	// Records are the zones' static records keyed by zone apex (any case,
	// with or without the final dot), as zone.Records returns them: the apex
	// SOA and NS excluded. The records are copied, never changed.
	Records map[string][]dns.RR
	// Version is the replicated configuration version the zones come from
	// (state.Config.Version), 0 before the cluster agreed on one. See Serial.
	Version uint64
	// Areas places a client in one of AreaNames, for the answers of geo
	// services (model.Answer.Area). It is called on the query path, for
	// geo names only, from many goroutines at once: it must be safe for
	// concurrent use, must not block and should not allocate. Required
	// when some answer has an Area; nil otherwise.
	Areas Areas
	// AreaNames are the areas' names, by the index Areas.Area returns:
	// every answer's non-empty Area must be one of them, each listed once.
	AreaNames []string
	// NSID is this node's name server identifier, answered to queries
	// that ask for it (RFC 5001); nil answers none.
	NSID []byte
	// Cookies are the server cookie secrets (RFC 7873, RFC 9018): a query
	// with a client cookie gets a server cookie made with the current
	// one, and one whose server cookie checks is let through rate
	// limiting; nil answers no cookie. Never changed once given.
	Cookies *Cookies
	// Signers sign zones (keyed by apex, any case, with or without the
	// final dot) online: every authoritative RRset is signed when the
	// snapshot is built, and queries with the DO bit get the RRSIGs and
	// compact denials (RFC 9824); see sign.go. A zone without a signer is
	// served unsigned. Each key must name a configured zone, and its
	// signer be for that zone. A Signer keeps its signatures between
	// builds (dnssec.Signer.SignCached), so a rebuild signs only the sets
	// that changed: hand the same Signers to every build.
	Signers map[string]*dnssec.Signer
	// Now is the time signatures are made for (the node's clock when it
	// builds the snapshot); required when Signers is not empty. Rebuild by
	// Snapshot.ResignAt, even if nothing changed, so they never run out.
	Now time.Time
	// Serials are the SOA serials to serve, by zone apex (as Signers);
	// a zone not in it is served with Serial(soa.serial, Version).
	Serials map[string]uint32
}

// Serial is the SOA serial a zone is served with: its configured serial
// (soa.serial, default 1) plus the replicated configuration version, in the
// 32-bit serial arithmetic of RFC 1982. Every configuration change adds one
// to the version, so the serial grows with every change of what the zone
// holds, and every node that applied the same version serves the same
// serial. Before the cluster agreed on any version (version 0: a node
// answering from its local file alone) the serial is the configured one,
// which every agreed serial follows. Adding rather than replacing keeps a
// migrated zone's date-style serial (2024010101) growing instead of
// jumping backwards. Steered answers change without a new serial here: a
// zone no secondary copies needs none. A zone served to secondaries is
// given its serial in Static.Serials instead, one that grows with every
// change of its answers (see internal/zoneserial).
func Serial(configured uint32, version uint64) uint32 {
	return configured + uint32(version)
}

// maxChain is the longest CNAME chain followed in one answer: BIND follows
// 16, Knot 5; 8 serves any real zone and bounds the reply.
const maxChain = 8

// rrset is one static RRset of a name, owned by the name.
type rrset struct {
	rrtype   uint16
	rrs      []wireRR
	targets  [][]byte // lower-case wire names of the MX, SRV or NS targets
	extra    []wireRR // required glue (a delegation's in-domain nameservers)
	optional []wireRR // other target addresses for the additional section
}

// addStatic places every zone's static records, zone by zone in
// configuration order and record by record in the data's order.
func (s *Snapshot) addStatic(zones []config.Zone, records map[string][]dns.RR) error {
	byApex := make(map[string][]dns.RR, len(records))
	for apex, rrs := range records {
		wire, err := wireName(apex)
		if err != nil {
			return err
		}
		if s.zones[string(wire)] == nil {
			return fmt.Errorf("dnsserver: static records for zone %q, which is not configured", apex)
		}
		if _, dup := byApex[string(wire)]; dup {
			return fmt.Errorf("dnsserver: static records for zone %q given twice", apex)
		}
		byApex[string(wire)] = rrs
	}
	for i := range zones {
		wire, _ := wireName(zones[i].Apex) // checked by addZone
		if err := s.addZoneRecords(&zones[i], wire, byApex[string(wire)]); err != nil {
			return err
		}
	}
	return nil
}

// notData are the types that exist only in messages or questions (RFC 6895
// 3.1), never as zone data.
var notData = []uint16{dns.TypeNone, dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY, dns.TypeIXFR, dns.TypeAXFR,
	dns.TypeMAILA, dns.TypeMAILB, dns.TypeANY}

// setKey names one RRset while records are grouped.
type setKey struct {
	owner  string
	rrtype uint16
}

func (s *Snapshot) addZoneRecords(cz *config.Zone, apex []byte, rrs []dns.RR) error {
	var order []setKey
	sets := make(map[setKey][]dns.RR)
	for _, rr := range rrs {
		if rr == nil {
			continue
		}
		h := rr.Header()
		if err := checkStatic(cz, apex, rr); err != nil {
			return err
		}
		wire, _ := wireName(h.Name) // packed by checkStatic
		k := setKey{string(wire), h.Rrtype}
		if _, seen := sets[k]; !seen {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	for _, k := range order {
		if err := s.addSet(cz, []byte(k.owner), k.rrtype, sets[k]); err != nil {
			return err
		}
	}
	return nil
}

// checkStatic refuses a record outside its zone or of a kind outlast does
// not serve from static data.
func checkStatic(cz *config.Zone, apex []byte, rr dns.RR) error {
	h := rr.Header()
	wire, err := wireName(h.Name)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("dnsserver: zone %s: record %q", cz.Apex, rr.String())
	switch {
	case h.Class != dns.ClassINET:
		return fmt.Errorf("%s: class %s, only IN is served", what, dns.ClassToString[h.Class])
	case !bytes.HasSuffix(wire, apex) || !dns.IsSubDomain(cz.Apex, h.Name):
		return fmt.Errorf("%s lies outside the zone", what)
	case len(wire) > 1 && wire[0] == 1 && wire[1] == '*':
		return fmt.Errorf("%s: wildcard owners are not supported; list the names", what)
	case h.Rrtype == dns.TypeSOA:
		return fmt.Errorf("%s: the SOA comes from the zone's soa settings", what)
	case h.Rrtype == dns.TypeNS && bytes.Equal(wire, apex):
		return fmt.Errorf("%s: the apex NS set comes from the zone's ns settings", what)
	case h.Rrtype == dns.TypeDNAME:
		return fmt.Errorf("%s: DNAME is not supported", what)
	case slices.Contains(notData, h.Rrtype):
		return fmt.Errorf("%s: type %s cannot be served as data", what, dns.TypeToString[h.Rrtype])
	}
	return nil
}

// addSet places one RRset at its name.
func (s *Snapshot) addSet(cz *config.Zone, owner []byte, rrtype uint16, rrs []dns.RR) error {
	if s.zoneFor(owner) != s.zoneOf(cz) {
		// The owner lies in a deeper zone served here: the parent's copy of
		// that delegation is skipped, anything else would never be seen.
		if rrtype == dns.TypeNS || rrtype == dns.TypeA || rrtype == dns.TypeAAAA {
			return nil
		}
		return fmt.Errorf("dnsserver: zone %s: %s %s lies inside another zone served here",
			cz.Apex, rrs[0].Header().Name, dns.TypeToString[rrtype])
	}
	n, err := s.nodeFor(owner, rrs[0].Header().Name)
	if err != nil {
		return err
	}
	recs := make([]wireRR, len(rrs))
	for i, rr := range rrs {
		if recs[i], err = ownedBy(dns.Copy(rr), len(owner)); err != nil {
			return err
		}
	}
	switch rrtype {
	case dns.TypeA, dns.TypeAAAA:
		return n.addStaticAddrs(rrtype, recs, rrs[0].Header().Name)
	case dns.TypeCNAME:
		if len(rrs) > 1 {
			return fmt.Errorf("dnsserver: %s has %d CNAME records; a name holds at most one", rrs[0].Header().Name, len(rrs))
		}
		target, err := wireName(rrs[0].(*dns.CNAME).Target)
		if err != nil {
			return err
		}
		n.cname = &cname{target: target, chain: recs}
		return nil
	}
	set := rrset{rrtype: rrtype, rrs: recs}
	for _, rr := range rrs {
		if t := targetOf(rr); t != "" {
			w, err := wireName(t)
			if err != nil {
				return err
			}
			set.targets = append(set.targets, w)
		}
	}
	n.sets = append(n.sets, set)
	return nil
}

// zoneOf returns the snapshot's zone for a configured zone.
func (s *Snapshot) zoneOf(cz *config.Zone) *zone {
	wire, _ := wireName(cz.Apex)
	return s.zones[string(wire)]
}

// addStaticAddrs sets a name's static A or AAAA records. At an in-zone
// nameserver name the zone's ns addresses already answer; the same
// addresses are accepted (a zone file lists its glue), others refused.
func (n *node) addStaticAddrs(rrtype uint16, recs []wireRR, name string) error {
	slot := n.slot(rrtype == dns.TypeAAAA)
	if *slot != nil {
		if (*slot).glue && sameRdata((*slot).fixed, recs) {
			return nil
		}
		return fmt.Errorf("dnsserver: %s %s: the static records differ from the zone's ns addresses for it", name, dns.TypeToString[rrtype])
	}
	*slot = &addrSet{fixed: recs, static: true}
	return nil
}

// sameRdata reports whether two address sets hold the same addresses,
// whatever their TTLs and order.
func sameRdata(a, b []wireRR) bool {
	rdata := func(rrs []wireRR) []string {
		out := make([]string, len(rrs))
		for i, rr := range rrs {
			out[i] = string(rr.tail[10:]) // type, class, TTL, rdlength, then rdata
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(rdata(a), rdata(b))
}

// targetOf returns the name whose addresses go in the additional section
// of an answer holding rr, or "".
func targetOf(rr dns.RR) string {
	switch rr := rr.(type) {
	case *dns.MX:
		return rr.Mx
	case *dns.SRV:
		if rr.Target == "." {
			return "" // "no service here" (RFC 2782)
		}
		return rr.Target
	case *dns.NS:
		return rr.Ns
	}
	return ""
}

// markCuts finds every name's delegation, the topmost NS set between the
// name and its zone apex, and refuses data a delegation hides.
func (s *Snapshot) markCuts() error {
	for k, n := range s.names {
		for p := []byte(k); len(p) > n.zone.apexLen; p = parentOf(p) {
			if a := s.names[string(p)]; a != nil && a.find(dns.TypeNS) != nil {
				n.cut = a
			}
		}
	}
	cutNames := make(map[*node]string)
	for k, n := range s.names {
		if n.cut == n {
			cutNames[n] = present([]byte(k))
		}
	}
	var errs []error
	for _, k := range sortedNames(s.names) {
		if err := s.names[k].check(cutNames); err != nil {
			errs = append(errs, fmt.Errorf("dnsserver: %s: %w", present([]byte(k)), err))
		}
	}
	return errors.Join(errs...)
}

// check refuses what a name may not hold together.
// cutNames names the delegation points, for messages.
func (n *node) check(cutNames map[*node]string) error {
	steered := func(set *addrSet) bool { return set != nil && !set.static && !set.glue }
	switch {
	case n.cname != nil && n.apex:
		return fmt.Errorf("%s at a zone apex, beside its SOA and NS", n.cname.kind())
	case n.cname != nil && (n.a != nil || n.aaaa != nil || len(n.sets) > 0):
		return fmt.Errorf("%s beside other data (%s)", n.cname.kind(), n.besideCNAME())
	case n.cut == nil:
		return nil
	case steered(n.a) || steered(n.aaaa):
		return fmt.Errorf("a steered service at or below the delegation at %s", cutNames[n.cut])
	case n.cname != nil:
		return fmt.Errorf("%s at or below the delegation at %s", n.cname.kind(), cutNames[n.cut])
	}
	for _, set := range n.sets {
		if n != n.cut || set.rrtype != dns.TypeNS && set.rrtype != dns.TypeDS {
			return fmt.Errorf("%s records hidden by the delegation at %s", dns.TypeToString[set.rrtype], cutNames[n.cut])
		}
	}
	return nil
}

// besideCNAME names what else a CNAME's name holds, for messages.
func (n *node) besideCNAME() string {
	var what []string
	for _, as := range []struct {
		set   *addrSet
		rtype string
	}{{n.a, "A"}, {n.aaaa, "AAAA"}} {
		switch {
		case as.set == nil:
		case as.set.glue:
			what = append(what, "the zone's nameserver addresses")
		case as.set.static:
			what = append(what, "static "+as.rtype+" records")
		default:
			what = append(what, "a service's "+as.rtype+" answer")
		}
	}
	for _, set := range n.sets {
		what = append(what, "static "+dns.TypeToString[set.rrtype]+" records")
	}
	return strings.Join(slices.Compact(what), ", ")
}

// resolveStatic precomputes what answers need beyond their own records:
// CNAME chains (static and steered) and the additional section.
func (s *Snapshot) resolveStatic() {
	for _, n := range s.names {
		if n.cname != nil {
			s.resolveCNAME(n)
		}
		for i := range n.sets {
			s.resolveAdditional(n, &n.sets[i])
		}
	}
}

// nxZone returns the zone in which a missing name would be, when it is
// neither outside every zone nor below a delegation; else nil.
func (s *Snapshot) nxZone(wire []byte) *zone {
	for p := parentOf(wire); p != nil; p = parentOf(p) {
		if e := s.names[string(p)]; e != nil {
			if e.cut != nil {
				return nil
			}
			return e.zone
		}
	}
	return nil
}

// resolveAdditional fills an RRset's additional records from its targets'
// static addresses: for a delegation, the glue below it is required and the
// rest optional; for anything else, only authoritative addresses count.
func (s *Snapshot) resolveAdditional(n *node, set *rrset) {
	delegation := set.rrtype == dns.TypeNS
	for _, target := range set.targets {
		t := s.names[string(target)]
		if t == nil || t.zone != n.zone {
			continue
		}
		var rrs []wireRR
		for _, as := range []*addrSet{t.a, t.aaaa} {
			if as != nil && (as.static || as.glue) {
				for _, rr := range as.fixed {
					rrs = append(rrs, wireRR{owner: target, tail: rr.tail})
				}
			}
		}
		switch {
		case delegation && t.cut == n:
			set.extra = append(set.extra, rrs...)
		case delegation || t.cut == nil:
			set.optional = append(set.optional, rrs...)
		}
	}
}

// sortedNames returns the names' keys in a fixed order, so errors come out
// the same way every time.
func sortedNames(names map[string]*node) []string {
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// present turns a wire name back into presentation form, for messages.
func present(wire []byte) string {
	name, _, err := dns.UnpackDomainName(wire, 0)
	if err != nil {
		return fmt.Sprintf("%q", string(wire))
	}
	return name
}

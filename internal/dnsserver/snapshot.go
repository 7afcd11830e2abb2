package dnsserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnssec"
	"outlast/internal/model"
)

// Snapshot is an immutable, precomputed view of everything the server can
// answer. Build it with NewSnapshot off the query path and hand it to
// Server.Swap; it is shared by every in-flight query and never changes.
type Snapshot struct {
	// zones and names are keyed by lower-case wire-form names, so a query
	// looks them up with the bytes it already has, without allocating.
	zones map[string]*zone
	// names holds every name that exists: apexes, service names, in-zone
	// nameserver names and the empty non-terminals between them and their apex.
	names map[string]*node
	// holding answers SERVFAIL to every query: see Holding.
	holding bool
	// areas maps clients to the areas of geo names' answers (Static.Areas).
	areas     Areas
	areaNames []string // area index → name, for OnQuery
	// nsid is Static.NSID, answered to queries asking for it.
	nsid []byte
	// cookies are Static.Cookies; nil answers no cookie.
	cookies *Cookies
	// resignAt is the earliest time a signature of this snapshot falls
	// due (ResignAt); zero when no zone is signed.
	resignAt time.Time
}

// Holding returns a snapshot that answers SERVFAIL to every query, for a
// server that has answers it cannot trust yet (a node catching up with its
// cluster after a restart). A resolver takes SERVFAIL as "ask another
// nameserver", and, unlike REFUSED, does not mark the server lame for it.
func Holding() *Snapshot { return &Snapshot{holding: true} }

// zone is one served zone's precomputed records; all are owned by the apex.
type zone struct {
	apexLen int
	soa     []wireRR // the SOA as answered (TTL: the SOA's own TTL)
	negSOA  []wireRR // the SOA for NXDOMAIN/NODATA, TTL min(TTL, minimum) per RFC 2308
	ns      []wireRR
	glue    []wireRR // A/AAAA for nameserver names inside the zone
	ttl     uint32   // SOA/NS TTL, also used for glue and the RFC 8482 HINFO
	// signer signs the zone's answers (Static.Signers); nil serves it
	// unsigned. now is Static.Now, the time its signatures are made for.
	signer *dnssec.Signer
	now    time.Time
}

// node is one existing name.
type node struct {
	zone *zone
	apex bool
	// cut is the delegation this name lies at or below (the topmost one
	// under the apex), nil where the zone is authoritative.
	cut     *node
	a, aaaa *addrSet
	cname   *cname   // a static or steered CNAME; the name then holds nothing else
	sets    []rrset  // static RRsets of every other type, in the data's order
	hinfo   []wireRR // the RFC 8482 answer to ANY when nothing else exists here
	geo     *geoNode // a geo name's answers per client area; nil for the rest
	// denial is, in a signed zone, the NSEC (and its RRSIGs) that proves
	// this name holds no data of the asked type (compact denial, RFC 9824),
	// sent after the negative SOA to a query with the DO bit. At a
	// delegation point it also proves the delegation has no DS.
	denial []wireRR
	// proof is what a referral from a signed zone carries after the NS set
	// to a query with the DO bit: the signed DS set, or denial.
	proof []wireRR
}

// addrSet is the A or AAAA answer of one name.
type addrSet struct {
	fixed []wireRR
	// answer holds a weighted answer's pool endpoints and weights, for
	// Answer.PickIndex; pools[i] holds the records of answer.Pools[i].
	answer model.Answer
	pools  [][]wireRR
	glue   bool // came from a zone's nameserver glue, not a service
	static bool // came from the zone's static records, not a service
	// unresolved: the service's hostname targets have no address the node
	// holds (model.ModeUnresolved), so this type answers SERVFAIL.
	unresolved bool
}

// NewSnapshot precomputes the answers for zones, their static records and
// the steered answers.
//
// A steered answer of addresses answers its type. A steered CNAME
// (Answer.Target, or weighted pools of targets) answers every type at its
// name, as a static CNAME does (see Static): itself, then the chain while
// the targets are served here and authoritative; qtype CNAME and ANY get
// the CNAME alone. A weighted CNAME gives each query one pool's CNAME,
// chosen as the weighted addresses are; a chain stops before a weighted
// CNAME, so the resolver asks for it and the weighting holds. Both kinds
// replace the static A, AAAA and CNAME records of their name. An answer in
// mode model.ModeUnresolved answers SERVFAIL with no records, for its type
// only, and so does a CNAME chain that ends there.
//
// An answer with an Area is a geo service's answer for the clients of that
// area (one of Static.AreaNames); its name and type must also have a
// default answer (Area ""), for clients in no area. A query for such a
// name is answered for its client: the subnet of its EDNS Client Subnet
// option (RFC 7871) when it has one, else the address it came from (the
// resolver's), placed in an area by Static.Areas; the area's answers
// replace the default ones of their types, and a type the area has no
// answer for is answered with the default. Names without area answers
// never look the client up. A query with ECS gets the option back, its
// scope the prefix length the answer depended on (see the package doc).
//
// NewSnapshot fails when an answer lies outside every zone, has an
// unsupported type or an address of the wrong family, when two sources
// define the same name and type, when a steered CNAME stands at a zone
// apex, at or below a delegation, or beside any other data of its name
// (static records other than A, AAAA and CNAME, another service, nameserver
// glue), or when static records break a rule of Static's; and for area
// answers, when the area is not in Static.AreaNames (which must name each
// area once, none ""), an area holds two answers of one name and type, the
// name and type have no default answer, Static.Areas is nil, or an area's
// answers break the rules above beside the name's other data. Errors name
// the name, and the area.
func NewSnapshot(zones []config.Zone, answers []model.Answer, static Static) (*Snapshot, error) {
	plan, err := planAreas(answers, &static)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{zones: make(map[string]*zone), names: make(map[string]*node), areas: static.Areas, areaNames: static.AreaNames,
		nsid: bytes.Clone(static.NSID), cookies: static.Cookies}
	settings, err := zoneSettings(&static)
	if err != nil {
		return nil, err
	}
	for i := range zones {
		if err := s.addZone(&zones[i], static.Version, settings); err != nil {
			return nil, err
		}
	}
	if err := settings.check(s); err != nil {
		return nil, err
	}
	// Names are placed after every zone is known, so each lands in its
	// longest-matching zone.
	for i := range zones {
		if err := s.addGlueNames(&zones[i]); err != nil {
			return nil, err
		}
	}
	if err := s.addStatic(zones, static.Records); err != nil {
		return nil, err
	}
	if err := s.addKeys(); err != nil {
		return nil, err
	}
	for i := range answers {
		if answers[i].Area != "" {
			continue // placed on copies of their names, once all is known
		}
		if err := s.addAnswer(&answers[i]); err != nil {
			return nil, err
		}
	}
	s.markGeo(plan)
	s.addEmptyNonTerminals()
	if err := s.markCuts(); err != nil {
		return nil, err
	}
	s.resolveStatic()
	if err := s.addHINFO(); err != nil {
		return nil, err
	}
	if err := s.addAreaViews(plan); err != nil {
		return nil, err
	}
	return s, s.sign()
}

func (s *Snapshot) addZone(cz *config.Zone, version uint64, set *settings) error {
	apex, err := wireName(cz.Apex)
	if err != nil {
		return err
	}
	if _, dup := s.zones[string(apex)]; dup {
		return fmt.Errorf("dnsserver: zone %q defined twice", cz.Apex)
	}
	if len(cz.NS) == 0 {
		return fmt.Errorf("dnsserver: zone %q has no nameservers", cz.Apex)
	}
	z := &zone{apexLen: len(apex), ttl: seconds(cz.SOA.TTL), signer: set.signers[string(apex)], now: set.now}
	serial, ok := set.serials[string(apex)]
	if !ok {
		serial = Serial(cz.SOA.Serial, version)
	}
	if z.soa, err = soaRecord(cz, serial, z.ttl, len(apex)); err != nil {
		return err
	}
	negTTL := min(z.ttl, seconds(cz.SOA.Minimum))
	if z.negSOA, err = soaRecord(cz, serial, negTTL, len(apex)); err != nil {
		return err
	}
	for _, ns := range cz.NS {
		rr, err := ownedBy(&dns.NS{Hdr: header(dns.TypeNS, z.ttl), Ns: ns.Name}, len(apex))
		if err != nil {
			return err
		}
		z.ns = append(z.ns, rr)
		if !dns.IsSubDomain(cz.Apex, ns.Name) {
			continue // out-of-zone glue is not ours to vouch for
		}
		for _, addr := range ns.Addresses {
			g, err := literal(addrRecord(ns.Name, addr, z.ttl))
			if err != nil {
				return err
			}
			z.glue = append(z.glue, g)
		}
	}
	s.zones[string(apex)] = z
	s.names[string(apex)] = &node{zone: z, apex: true}
	return nil
}

func soaRecord(cz *config.Zone, serial, ttl uint32, apexLen int) ([]wireRR, error) {
	mname := cz.SOA.MName
	if mname == "" {
		mname = cz.NS[0].Name
	}
	rname := cz.SOA.RName
	if rname == "" {
		rname = "hostmaster." + dns.Fqdn(cz.Apex)
	}
	soa := &dns.SOA{
		Hdr: header(dns.TypeSOA, ttl), Ns: dns.Fqdn(mname), Mbox: dns.Fqdn(rname),
		Serial: serial, Refresh: seconds(cz.SOA.Refresh), Retry: seconds(cz.SOA.Retry),
		Expire: seconds(cz.SOA.Expire), Minttl: seconds(cz.SOA.Minimum),
	}
	rr, err := ownedBy(soa, apexLen)
	return []wireRR{rr}, err
}

// addGlueNames makes in-zone nameserver names answerable for A and AAAA, so
// a resolver can resolve the nameservers from the zone itself.
func (s *Snapshot) addGlueNames(cz *config.Zone) error {
	for _, ns := range cz.NS {
		if !dns.IsSubDomain(cz.Apex, ns.Name) || len(ns.Addresses) == 0 {
			continue
		}
		var v4, v6 []netip.Addr
		for _, a := range ns.Addresses {
			if a.Unmap().Is4() {
				v4 = append(v4, a)
			} else {
				v6 = append(v6, a)
			}
		}
		for _, fam := range []struct {
			t     model.RecordType
			addrs []netip.Addr
		}{{model.TypeA, v4}, {model.TypeAAAA, v6}} {
			if len(fam.addrs) == 0 {
				continue
			}
			ans := model.Answer{Name: ns.Name, Type: fam.t, TTL: seconds(cz.SOA.TTL), Addrs: fam.addrs}
			if err := s.addGlue(&ans); err != nil {
				return err
			}
		}
	}
	return nil
}

// addAnswer places a default (Area "") steered answer: addresses, or a
// CNAME (a fixed Target, or one target per weighted pool), placed as area
// answers are (see place). It replaces the name's static CNAME, A and
// AAAA; what may not stand beside it (other data, the apex, a delegation)
// is refused later by check, once every source is placed.
func (s *Snapshot) addAnswer(a *model.Answer) error {
	if a.Type != model.TypeA && a.Type != model.TypeAAAA {
		return fmt.Errorf("dnsserver: answer %s: unsupported type %q", a.Name, a.Type)
	}
	n, nameLen, err := s.nodeNamed(a.Name)
	if err != nil {
		return err
	}
	if answersCNAME(a) {
		if n.cname != nil && n.cname.steered {
			return fmt.Errorf("dnsserver: %s is defined twice (by two services with a CNAME answer)", a.Name)
		}
	} else if set := *n.slot(a.Type == model.TypeAAAA); set != nil && !set.static {
		return fmt.Errorf("dnsserver: %s %s is defined twice (by a service and by nameserver glue, or by two services)", a.Name, a.Type)
	}
	n.dropStaticAddrs()
	return n.place(a, nameLen)
}

// place puts one steered answer on a node whose slot for it is free.
func (n *node) place(a *model.Answer, nameLen int) error {
	if answersCNAME(a) {
		c, err := steeredCNAME(a, nameLen)
		if err != nil {
			return err
		}
		n.cname = c
		return nil
	}
	set, err := buildAddrSet(a, nameLen)
	if err != nil {
		return err
	}
	*n.slot(a.Type == model.TypeAAAA) = set
	return nil
}

// slot is where the node holds its A (or, for aaaa, AAAA) answer.
func (n *node) slot(aaaa bool) **addrSet {
	if aaaa {
		return &n.aaaa
	}
	return &n.a
}

// dropStaticAddrs removes the static records a steered service replaces:
// its name's A, AAAA and CNAME. A service owns its name's addresses as a
// whole, so a static AAAA beside a steered A cannot hand clients an address
// that failover does not govern. Other static types stay, and so does
// another service's CNAME, for check to refuse.
func (n *node) dropStaticAddrs() {
	if n.a != nil && n.a.static {
		n.a = nil
	}
	if n.aaaa != nil && n.aaaa.static {
		n.aaaa = nil
	}
	if n.cname != nil && !n.cname.steered {
		n.cname = nil
	}
}

// addGlue precomputes an in-zone nameserver name's A or AAAA records; the
// same nameserver listed by two zones is placed once. Only glue is placed
// before it, so a taken slot holds that nameserver's glue already.
func (s *Snapshot) addGlue(a *model.Answer) error {
	n, nameLen, err := s.nodeNamed(a.Name)
	if err != nil {
		return err
	}
	slot := n.slot(a.Type == model.TypeAAAA)
	if *slot != nil {
		return nil
	}
	set, err := buildAddrSet(a, nameLen)
	if err != nil {
		return err
	}
	set.glue = true
	*slot = set
	return nil
}

// nodeNamed returns the node of an existing or new name inside some zone,
// and the length of the name in wire form.
func (s *Snapshot) nodeNamed(name string) (*node, int, error) {
	wire, err := wireName(name)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.nodeFor(wire, name)
	return n, len(wire), err
}

// nodeFor returns the node of an existing or new name inside some zone.
func (s *Snapshot) nodeFor(wire []byte, name string) (*node, error) {
	if n := s.names[string(wire)]; n != nil {
		return n, nil
	}
	z := s.zoneFor(wire)
	if z == nil {
		return nil, fmt.Errorf("dnsserver: %s is outside every zone", name)
	}
	n := &node{zone: z}
	s.names[string(wire)] = n
	return n, nil
}

func buildAddrSet(a *model.Answer, nameLen int) (*addrSet, error) {
	set := &addrSet{answer: model.Answer{Name: a.Name, Type: a.Type, TTL: a.TTL, Mode: a.Mode}}
	switch a.Mode {
	case model.ModeEmpty:
		return set, nil // fail-closed: NODATA whatever addresses came along
	case model.ModeUnresolved:
		set.unresolved = true
		return set, nil
	}
	var err error
	if set.fixed, err = addrRecords(a, a.Addrs, nameLen); err != nil {
		return nil, err
	}
	for _, p := range a.Pools {
		set.answer.Pools = append(set.answer.Pools, model.WeightedPool{Endpoint: p.Endpoint, Weight: p.Weight})
		rrs, err := addrRecords(a, p.Addrs, nameLen)
		if err != nil {
			return nil, err
		}
		set.pools = append(set.pools, rrs)
	}
	return set, nil
}

func addrRecords(a *model.Answer, addrs []netip.Addr, nameLen int) ([]wireRR, error) {
	var rrs []wireRR
	for _, addr := range addrs {
		if (a.Type == model.TypeA) != addr.Unmap().Is4() {
			return nil, fmt.Errorf("dnsserver: answer %s %s: address %s is of the wrong family", a.Name, a.Type, addr)
		}
		rr, err := ownedBy(addrRecord(a.Name, addr, a.TTL), nameLen)
		if err != nil {
			return nil, err
		}
		rrs = append(rrs, rr)
	}
	return rrs, nil
}

// pick returns the records for one query; r is a random value.
func (set *addrSet) pick(r uint64) []wireRR {
	if len(set.pools) == 0 {
		return set.fixed
	}
	return set.pools[set.answer.PickIndex(r)]
}

// addEmptyNonTerminals adds every name between an existing name and its
// zone apex, so such names answer NODATA rather than NXDOMAIN (RFC 8020).
func (s *Snapshot) addEmptyNonTerminals() {
	existing := make([][]byte, 0, len(s.names))
	for k := range s.names {
		existing = append(existing, []byte(k))
	}
	for _, w := range existing {
		for p := parentOf(w); p != nil; p = parentOf(p) {
			z := s.zoneFor(p)
			if z == nil {
				break
			}
			if s.names[string(p)] == nil {
				s.names[string(p)] = &node{zone: z}
			}
		}
	}
}

// addHINFO precomputes the RFC 8482 answer to ANY for every name.
func (s *Snapshot) addHINFO() error {
	var errs []error
	for k, n := range s.names {
		rr, err := ownedBy(&dns.HINFO{Hdr: header(dns.TypeHINFO, n.zone.ttl), Cpu: "RFC8482"}, len(k))
		errs = append(errs, err)
		n.hinfo = []wireRR{rr}
	}
	return errors.Join(errs...)
}

// zoneFor returns the longest zone that contains the lower-case wire name,
// or nil. It does not allocate.
func (s *Snapshot) zoneFor(wire []byte) *zone {
	for off := 0; off < len(wire); off += 1 + int(wire[off]) {
		if z := s.zones[string(wire[off:])]; z != nil {
			return z
		}
	}
	return nil
}

func header(rrtype uint16, ttl uint32) dns.RR_Header {
	// The owner is cut off after packing (see packTail), so the root will do.
	return dns.RR_Header{Name: ".", Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

func addrRecord(name string, addr netip.Addr, ttl uint32) dns.RR {
	if addr.Unmap().Is4() {
		a := addr.Unmap().As4()
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: a[:]}
	}
	a := addr.As16()
	return &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: a[:]}
}

func seconds(d time.Duration) uint32 { return uint32(d / time.Second) }

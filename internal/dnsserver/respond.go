package dnsserver

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"

	"github.com/miekg/dns"

	"outlast/internal/rrl"
)

// Response size limits.
const (
	// maxUDPSize caps the UDP payload we send whatever the client offers:
	// 1232 bytes fits the IPv6 minimum MTU (1280) less IPv6 and UDP headers,
	// so answers are never IP-fragmented (DNS Flag Day 2020). Fragments are
	// dropped by middleboxes and enable cache-poisoning; anything bigger goes
	// over TCP after TC.
	maxUDPSize = 1232
	// optLen is our OPT record: root owner, type, class, TTL, empty rdata.
	optLen = 11
)

// Header flag bits (RFC 1035 4.1.1).
const (
	flagQR = 1 << 15
	flagAA = 1 << 10
	flagTC = 1 << 9
	flagRD = 1 << 8
	flagRA = 1 << 7
	flagZ  = 1 << 6
	flagAD = 1 << 5
	flagCD = 1 << 4
)

// reply is what a query resolves to, before it is written out. Its slices
// belong to the snapshot and are only read.
type reply struct {
	rcode int
	aa    bool
	// chain is the CNAME chain that leads from the question name to the
	// name answer and authority are owned by; empty for most answers.
	chain     []wireRR
	answer    []wireRR
	rotate    int // index of the answer record written first
	authority []wireRR
	// extra is additional data a reply must carry or be truncated for:
	// glue for in-domain nameservers (RFC 9471).
	extra []wireRR
	// optional is additional data left out when it does not fit (RFC 1035
	// 4.3.2 step 6: addresses of MX, SRV and NS targets, sibling glue).
	optional []wireRR
	// denial follows the authority section in a signed zone's reply to a
	// query with the DO bit: the NSEC of a compact denial, or a referral's
	// DS set or NSEC, one RRset, its RRSIGs on its records (wireRR.sigs).
	denial []wireRR
	// toTCP: the reply is sent empty with TC set, so the client asks over
	// TCP: its denial needed a fresh signature and the zone's allowance of
	// them over UDP is spent (see denyNX).
	toTCP bool
	// co: the reply is a compact denial answered NXDOMAIN because the
	// query set the CO flag, which the reply's OPT then carries (RFC 9824).
	co bool
	// scope is the ECS SCOPE PREFIX-LENGTH: how many bits of the client's
	// address the answer depended on; 0 unless a geo name was answered.
	scope uint8
	// geo is set when the answer depended on the client's area, and area
	// names it ("" for a client in no area).
	geo  bool
	area string
}

// Query is what OnQuery hears of one answered request, for metrics.
type Query struct {
	Type  uint16 // the question type; 0 when no question was read
	Rcode int
	// Geo is set when the answer depended on the client's area, and Area
	// names it ("" for a client in no area).
	Geo  bool
	Area string
	// Limited is what rate limiting did with the reply: rrl.Send (nothing)
	// unless it was truncated (Slip) or not sent (Drop).
	Limited rrl.Action
	// Cookie says what COOKIE option the query carried, when the node
	// answers cookies.
	Cookie CookieKind
	// DenialToTCP: the query, for a name that does not exist in a signed
	// zone, was sent to TCP (an empty reply with TC) because the zone's
	// allowance of fresh denials over UDP was spent.
	DenialToTCP bool
}

// CookieKind is what a query's COOKIE option held.
type CookieKind uint8

// Cookie kinds.
const (
	NoCookie      CookieKind = iota
	ClientCookie             // a client cookie alone: a first contact
	ValidCookie              // a server cookie of ours for this client and address
	InvalidCookie            // a server cookie that does not check (old, another's, forged)
)

func (k CookieKind) String() string {
	return [...]string{"none", "client", "valid", "invalid"}[k]
}

// respond writes the response to r into out (which it may grow) and returns
// it with what metrics count of it. udp selects the UDP size
// rules; remote is the sender's address, the client of a geo name when the
// query carries no ECS option (the zero Addr: none known). It takes no lock
// and allocates only if out is too small.
func (s *Snapshot) respond(out []byte, r *dns.Msg, udp bool, remote netip.Addr) ([]byte, Query) {
	out, q, _ := s.respondCharged(out, r, udp, remote)
	return out, q
}

// charge is the rate-limiting account of a reply (account): its class,
// and the name the class is keyed by, which points into the reply or the
// snapshot.
type charge struct {
	class rrl.Class
	name  []byte
	// cookie: the query carried a valid server cookie, so its source is
	// real and rate limiting lets it through.
	cookie bool
}

// respondCharged is respond, also returning what rate limiting charges
// the reply to.
func (s *Snapshot) respondCharged(out []byte, r *dns.Msg, udp bool, remote netip.Addr) ([]byte, Query, charge) {
	if r.Opcode != dns.OpcodeQuery {
		return appendBare(out, r, dns.RcodeNotImplemented), Query{Rcode: dns.RcodeNotImplemented}, charge{class: rrl.Error}
	}
	if len(r.Question) != 1 {
		return appendBare(out, r, dns.RcodeFormatError), Query{Rcode: dns.RcodeFormatError}, charge{class: rrl.Error}
	}
	q := &r.Question[0]
	if cap(out) < headerLen+maxNameLen+4 {
		out = make([]byte, 0, 4096)
	}
	// The question is echoed byte for byte as asked, 0x20 case included.
	end, err := dns.PackDomainName(q.Name, out[:headerLen+maxNameLen], headerLen, nil, false)
	if err != nil {
		return appendBare(out[:0], r, dns.RcodeFormatError), Query{Type: q.Qtype, Rcode: dns.RcodeFormatError}, charge{class: rrl.Error}
	}
	out = binary.BigEndian.AppendUint16(out[:end], q.Qtype)
	out = binary.BigEndian.AppendUint16(out, q.Qclass)

	m := screen(r, q.Qtype)
	if m.rcode == dns.RcodeSuccess && q.Qtype == dns.TypeNXNAME {
		m.rcode = dns.RcodeFormatError // a meta type, asked explicitly (RFC 9824 3.5)
	}
	do := m.opt != nil && m.opt.Do()
	// The ECS option is kept apart from meta, so queries without one
	// carry none of it around.
	var e ecs
	var x extras
	if m.rcode == dns.RcodeSuccess && m.opt != nil && len(m.opt.Option) > 0 {
		var ok bool
		if e, ok = parseECS(m.opt); !ok {
			m.rcode = dns.RcodeFormatError
		}
		if s.nsid != nil && asksNSID(m.opt) {
			x.nsid = s.nsid
		}
		if s.cookies != nil {
			x.remote, x.jar = remote, s.cookies
			x.cookie, x.hasCookie = cookieOf(m.opt, s.cookies, remote)
		}
	}
	var rep reply
	if m.rcode != dns.RcodeSuccess {
		rep.rcode = m.rcode
	} else {
		rep = s.lookup(out[headerLen:end], q.Qtype, q.Qclass, &client{ecs: e, remote: remote, do: do, udp: udp})
	}
	if do && rep.rcode == dns.RcodeNameError && len(rep.denial) > 0 {
		// A compact denial: NOERROR, the NSEC's NXNAME bit says the name
		// does not exist, unless the client asked for NXDOMAIN with CO.
		if m.opt.Co() {
			rep.co = true
		} else {
			rep.rcode = dns.RcodeSuccess
		}
	}
	limit := sizeLimit(m.opt, udp)
	if e.present && (rep.rcode == dns.RcodeSuccess || rep.rcode == dns.RcodeNameError) {
		x.echo = &e // answers carry it back, NXDOMAIN too; errors do not (RFC 7871 7.2.1)
	}
	out = finish(out, r, &rep, end-headerLen, m.opt, &x, limit)
	if m.tsig != nil {
		out = appendTSIG(out, m.tsig, r.Id, limit)
	}
	class, name := account(&rep, out[headerLen:end])
	return out, Query{Type: q.Qtype, Rcode: rep.rcode, Geo: rep.geo, Area: rep.area, Cookie: x.cookieKind(), DenialToTCP: rep.toTCP},
		charge{class: class, name: name, cookie: x.hasCookie && x.cookie.valid}
}

// appendTSIG adds the BADKEY TSIG to a finished reply and counts it in the
// header, or sets TC when it does not fit, so the client asks over TCP.
func appendTSIG(out []byte, t *dns.TSIG, id uint16, limit int) []byte {
	out, ok := appendBadKey(out, t, id, limit)
	if !ok {
		binary.BigEndian.PutUint16(out[2:], binary.BigEndian.Uint16(out[2:])|flagTC)
		return out
	}
	binary.BigEndian.PutUint16(out[10:], binary.BigEndian.Uint16(out[10:])+1)
	return out
}

// lookup resolves a question given its wire-form name in the asked case,
// for client c.
func (s *Snapshot) lookup(qname []byte, qtype, qclass uint16, c *client) reply {
	if s.holding {
		return reply{rcode: dns.RcodeServerFailure}
	}
	if qclass != dns.ClassINET {
		// We hold no data in any other class, so for them we are no
		// authority at all: REFUSED, as for names outside our zones.
		return reply{rcode: dns.RcodeRefused}
	}
	var buf [maxNameLen]byte
	lower := buf[:len(qname)]
	lowerASCII(lower, qname)
	if n := s.names[string(lower)]; n != nil {
		if n.geo == nil || !n.geo.dependsOn(qtype) {
			return n.answer(qtype)
		}
		n, scope, area := s.forClient(n, c)
		rep := n.answer(qtype)
		rep.scope, rep.geo, rep.area = scope, true, area
		return rep
	}
	// The name does not exist: its closest existing ancestor says whether it
	// lies below a delegation, in a zone (NXDOMAIN), or outside them all.
	for p := parentOf(lower); p != nil; p = parentOf(p) {
		if e := s.names[string(p)]; e != nil {
			if e.cut != nil {
				return e.cut.referral()
			}
			if c.do && e.zone.signer != nil {
				denial, spent := e.zone.denyNX(lower, c.udp)
				if spent {
					return reply{toTCP: true}
				}
				return reply{rcode: dns.RcodeNameError, aa: true, authority: e.zone.negSOA, denial: denial}
			}
			return reply{rcode: dns.RcodeNameError, aa: true, authority: e.zone.negSOA}
		}
	}
	return reply{rcode: dns.RcodeRefused}
}

// answer answers a question for this existing name (RFC 1034 4.3.2).
func (n *node) answer(qtype uint16) reply {
	switch {
	case qtype == dns.TypeAXFR || qtype == dns.TypeIXFR:
		return reply{rcode: dns.RcodeRefused} // no zone transfers
	case n.cut != nil:
		return n.belowCut(qtype)
	case n.cname != nil && (qtype == dns.TypeCNAME || qtype == dns.TypeANY):
		return reply{aa: true, answer: n.cname.choose().chain[:1]}
	case n.cname != nil:
		return n.cname.choose().follow(qtype)
	case qtype == dns.TypeA:
		return n.addrs(n.a)
	case qtype == dns.TypeAAAA:
		return n.addrs(n.aaaa)
	case qtype == dns.TypeSOA && n.apex:
		return reply{aa: true, answer: n.zone.soa}
	case qtype == dns.TypeNS && n.apex:
		return reply{aa: true, answer: n.zone.ns, extra: n.zone.glue}
	case qtype == dns.TypeANY:
		return n.any()
	}
	return n.static(qtype)
}

// belowCut answers for a name at or below a delegation: a referral, except
// DS at the delegation point itself, which the parent holds (RFC 4035 3.1.4).
func (n *node) belowCut(qtype uint16) reply {
	if n == n.cut && qtype == dns.TypeDS {
		return n.static(qtype)
	}
	return n.cut.referral()
}

// referral points at the child zone's nameservers (RFC 1034 4.3.2 3b): not
// authoritative, the NS set in authority, glue in additional.
func (n *node) referral() reply {
	set := n.find(dns.TypeNS)
	return reply{authority: set.rrs, extra: set.extra, optional: set.optional, denial: n.proof}
}

// static answers a type from the name's static RRsets, or NODATA.
func (n *node) static(qtype uint16) reply {
	if set := n.find(qtype); set != nil {
		return reply{aa: true, answer: set.rrs, extra: set.extra, optional: set.optional}
	}
	return n.nodata()
}

// find returns the static RRset of a type, or nil. A name holds a handful
// of types, so a scan beats a map.
func (n *node) find(qtype uint16) *rrset {
	for i := range n.sets {
		if n.sets[i].rrtype == qtype {
			return &n.sets[i]
		}
	}
	return nil
}

// any answers qtype ANY minimally (RFC 8482): one RRset that exists here,
// else the synthesized HINFO.
func (n *node) any() reply {
	if rep := n.addrs(n.a); len(rep.answer) > 0 {
		return rep
	}
	if rep := n.addrs(n.aaaa); len(rep.answer) > 0 {
		return rep
	}
	if n.apex {
		return reply{aa: true, answer: n.zone.soa}
	}
	if len(n.sets) > 0 {
		return n.static(n.sets[0].rrtype)
	}
	return reply{aa: true, answer: n.hinfo}
}

func (n *node) addrs(set *addrSet) reply {
	if set == nil {
		return n.nodata()
	}
	if set.unresolved {
		return reply{rcode: dns.RcodeServerFailure}
	}
	rrs := set.pick(rand.Uint64())
	if len(rrs) == 0 {
		return n.nodata()
	}
	rep := reply{aa: true, answer: rrs}
	if len(rrs) > 1 {
		rep.rotate = rand.IntN(len(rrs))
	}
	return rep
}

func (n *node) nodata() reply {
	return reply{aa: true, authority: n.zone.negSOA, denial: n.denial}
}

// sizeLimit is the largest response allowed: 64 KiB over TCP; over UDP the
// client's EDNS buffer size within [512, maxUDPSize], or 512 without EDNS.
func sizeLimit(opt *dns.OPT, udp bool) int {
	switch {
	case !udp:
		return dns.MaxMsgSize
	case opt == nil:
		return dns.MinMsgSize
	}
	return min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDPSize)
}

// finish appends the sections after the question, truncating to limit, and
// fills in the header. RRsets are never split: what does not fit whole is
// left out and TC is set, so the client retries over TCP. x holds the
// EDNS options the reply carries besides our OPT.
func finish(out []byte, r *dns.Msg, rep *reply, qlen int, opt *dns.OPT, x *extras, limit int) []byte {
	fixed := len(out)
	rdlen := x.len()
	if opt != nil {
		fixed += optLen + rdlen
	}
	tc := false
	do := opt != nil && opt.Do()
	main := fixed + setSize(rep.chain) + setSize(rep.answer) + setSize(rep.authority)
	if do {
		main += rep.signedSize()
	}
	if main > limit || rep.toTCP {
		tc = true
		rep.chain, rep.answer, rep.authority, rep.denial, rep.extra, rep.optional = nil, nil, nil, nil, nil, nil
	}
	if len(rep.extra) > 0 && main+setSize(rep.extra) > limit {
		// Glue for our own nameservers is not optional (RFC 9471).
		tc = true
		rep.extra, rep.optional = nil, nil
	}
	if len(rep.optional) > 0 && main+setSize(rep.extra)+setSize(rep.optional) > limit {
		rep.optional = nil // a resolver asks for these itself: no TC
	}
	var an, ns int
	if do {
		out, an, ns = appendSigned(out, rep, headerLen+qlen)
	} else {
		var ref int
		out, ref = appendChain(out, rep.chain, headerLen+qlen)
		out = appendRotated(out, rep.answer, rep.rotate, ref)
		out = appendRotated(out, rep.authority, 0, ref)
		an, ns = len(rep.chain)+len(rep.answer), len(rep.authority)
	}
	out = appendRotated(out, rep.extra, 0, headerLen+qlen)
	out = appendRotated(out, rep.optional, 0, headerLen+qlen)
	arcount := len(rep.extra) + len(rep.optional)
	if opt != nil {
		out = appendOPT(out, rep.rcode, do, rep.co, rdlen)
		out = x.append(out, rep.scope)
		arcount++
	}
	flags := flagQR | uint16(r.Opcode&0xF)<<11 | uint16(rep.rcode&0xF)
	flags |= flagIf(rep.aa, flagAA) | flagIf(tc, flagTC) | flagIf(r.RecursionDesired, flagRD) | flagIf(r.CheckingDisabled, flagCD)
	putHeader(out, r.Id, flags, 1, an, ns, arcount)
	return out
}

// extras are the EDNS options a reply carries in its OPT record, each
// present when the query asked for it: the ECS option echoed, this node's
// NSID, a COOKIE with a fresh server cookie.
type extras struct {
	echo      *ecs
	nsid      []byte
	cookie    cookie
	hasCookie bool
	// jar and remote make the server cookie.
	jar    *Cookies
	remote netip.Addr
}

// cookieKind is what the query's COOKIE option held.
func (x *extras) cookieKind() CookieKind {
	switch {
	case !x.hasCookie:
		return NoCookie
	case x.cookie.valid:
		return ValidCookie
	case x.cookie.server:
		return InvalidCookie
	}
	return ClientCookie
}

func (x *extras) len() int {
	n := nsidLen(x.nsid)
	if x.hasCookie {
		n += cookieLen
	}
	if x.echo != nil {
		n += x.echo.echoLen()
	}
	return n
}

func (x *extras) append(out []byte, scope uint8) []byte {
	if x.echo != nil {
		out = appendECS(out, x.echo, scope)
	}
	if x.nsid != nil {
		out = appendNSID(out, x.nsid)
	}
	if x.hasCookie {
		out = appendCookie(out, &x.cookie, x.jar, x.remote)
	}
	return out
}

// appendBare appends a header-only response, for requests we cannot or will
// not parse a question from.
func appendBare(out []byte, r *dns.Msg, rcode int) []byte {
	out = append(out[:0], make([]byte, headerLen)...)
	flags := flagQR | uint16(r.Opcode&0xF)<<11 | uint16(rcode&0xF) | flagIf(r.RecursionDesired, flagRD)
	putHeader(out, r.Id, flags, 0, 0, 0, 0)
	return out
}

// appendOPT appends our OPT record (RFC 6891 6.1): our UDP size, the upper
// bits of the rcode, version 0, and the DO bit copied from the query
// (RFC 3225 3), CO when the reply is a compact NXDOMAIN; rdlen is the length of the options the caller appends.
func appendOPT(out []byte, rcode int, do, co bool, rdlen int) []byte {
	out = append(out, 0) // root owner
	out = binary.BigEndian.AppendUint16(out, dns.TypeOPT)
	out = binary.BigEndian.AppendUint16(out, maxUDPSize)
	ttl := uint32(rcode>>4) << 24
	if do {
		ttl |= 1 << 15
	}
	if co {
		ttl |= 1 << 14 // Compact Answers OK (RFC 9824)
	}
	out = binary.BigEndian.AppendUint32(out, ttl)
	return binary.BigEndian.AppendUint16(out, uint16(rdlen))
}

func putHeader(out []byte, id, flags uint16, qd, an, ns, ar int) {
	binary.BigEndian.PutUint16(out[0:], id)
	binary.BigEndian.PutUint16(out[2:], flags)
	binary.BigEndian.PutUint16(out[4:], uint16(qd))
	binary.BigEndian.PutUint16(out[6:], uint16(an))
	binary.BigEndian.PutUint16(out[8:], uint16(ns))
	binary.BigEndian.PutUint16(out[10:], uint16(ar))
}

func flagIf(on bool, bit uint16) uint16 {
	if on {
		return bit
	}
	return 0
}

package dnsserver

import (
	"encoding/binary"
	"slices"

	"github.com/miekg/dns"

	"outlast/internal/dnscookie"
)

// A query carries, besides its question, at most these meta records: one
// OPT (EDNS) and one TSIG, both in the additional section and the TSIG
// last. What a query gets when they are out of place, malformed or used as
// the question type is decided here, before any lookup. The choices, and
// what Knot 3.2 and BIND 9 answer (Knot checked on loopback, BIND from its
// query.c), are:
//
//	two OPT records           FORMERR  RFC 6891 6.1.1; Knot the same
//	OPT or TSIG outside the
//	  additional section,
//	  or TSIG not last        FORMERR  RFC 6891 6.1.1, RFC 8945 5.1; Knot the same
//	malformed COOKIE option   FORMERR  RFC 7873 5.2.2; Knot with mod-cookies the
//	                                   same (without it, Knot ignores cookies)
//	malformed ECS option      FORMERR  RFC 7871 6 and 7.1.2 (see ecs.go): an unknown
//	                                   FAMILY, a prefix length beyond the family's
//	                                   size, SCOPE not 0, ADDRESS octets more or
//	                                   fewer than SOURCE needs or bits set beyond
//	                                   it; BIND the same. Two ECS options too.
//	                                   Checked last (by respond, see ecs.go), so
//	                                   the rcodes below come first.
//	TSIG of a key not in      NOTAUTH  TSIG error BADKEY, unsigned, RFC 8945 5.2.2;
//	  Options.Transfer                 Knot the same inside its zones, REFUSED
//	                                   outside them. A configured key's requests
//	                                   never get here: tsig.go verifies them and
//	                                   signs their replies
//	qtype OPT, TSIG or TKEY   FORMERR  these exist only inside one message and can
//	                                   never be asked for (RFC 6895 3.1); BIND the
//	                                   same, Knot answers NODATA
//	qtype 0                   NOTIMP   a reserved type; Knot the same
//
// MAILA and MAILB stay NODATA (Knot, NSD and PowerDNS do the same; BIND
// says NOTIMP). AXFR and IXFR get REFUSED here, over either transport: the
// requests a zone's transfer rules allow are answered before they reach
// this (transfer.go), and AXFR over UDP is never served.

// meta is what a query's meta records say.
type meta struct {
	rcode int      // non-zero: answer this without a lookup
	opt   *dns.OPT // the query's OPT record, echoed in the reply when set
	tsig  *dns.TSIG
}

// screen checks the meta records and the question type of a query with one
// question. It allocates nothing.
func screen(r *dns.Msg, qtype uint16) meta {
	if notInAdditional(r.Answer) || notInAdditional(r.Ns) {
		return meta{rcode: dns.RcodeFormatError}
	}
	m, ok := additional(r.Extra)
	if !ok {
		return meta{rcode: dns.RcodeFormatError}
	}
	switch {
	case m.opt != nil && !cookieWellFormed(m.opt):
		m.rcode = dns.RcodeFormatError
	case qtype == dns.TypeOPT || qtype == dns.TypeTSIG || qtype == dns.TypeTKEY:
		m.rcode = dns.RcodeFormatError
	case qtype == dns.TypeNone:
		m.rcode = dns.RcodeNotImplemented
	case m.tsig != nil:
		m.rcode = dns.RcodeNotAuth
	case m.opt != nil && m.opt.Version() != 0:
		m.rcode = dns.RcodeBadVers // RFC 6891 6.1.3
	}
	if m.rcode != dns.RcodeNotAuth {
		m.tsig = nil // BADKEY is the only reply that carries a TSIG
	}
	return m
}

// notInAdditional reports whether rrs holds an OPT or TSIG record, which
// belong in the additional section only.
func notInAdditional(rrs []dns.RR) bool {
	for _, rr := range rrs {
		if t := rr.Header().Rrtype; t == dns.TypeOPT || t == dns.TypeTSIG {
			return true
		}
	}
	return false
}

// additional finds the OPT and TSIG records of the additional section; ok
// is false for a second OPT or a TSIG that is not the last record or has
// no rdata.
func additional(extra []dns.RR) (m meta, ok bool) {
	for i, rr := range extra {
		switch rr.Header().Rrtype {
		case dns.TypeOPT:
			opt, isOPT := rr.(*dns.OPT)
			if m.opt != nil || !isOPT {
				return meta{}, false
			}
			m.opt = opt
		case dns.TypeTSIG:
			// A TSIG without rdata unpacks with an empty algorithm name.
			tsig, isTSIG := rr.(*dns.TSIG)
			if i != len(extra)-1 || !isTSIG || tsig.Algorithm == "" {
				return meta{}, false
			}
			m.tsig = tsig
		}
	}
	return m, true
}

// cookieWellFormed reports whether every COOKIE option in opt has a legal
// length (dnscookie.WellFormed). miekg keeps the option as hex, two
// characters a byte.
func cookieWellFormed(opt *dns.OPT) bool {
	for _, o := range opt.Option {
		c, isCookie := o.(*dns.EDNS0_COOKIE)
		if isCookie && (len(c.Cookie)%2 != 0 || !dnscookie.WellFormed(len(c.Cookie)/2)) {
			return false
		}
	}
	return true
}

// appendBadKey appends the unsigned TSIG of a BADKEY error (RFC 8945
// 5.3.2): the query's key and algorithm names, time and fudge, no MAC and
// error 17, as Knot sends it. It reports false, leaving out unchanged, when
// the record does not fit in limit; the caller then sets TC. This runs
// only for queries that carry a TSIG, never on the common path.
func appendBadKey(out []byte, t *dns.TSIG, id uint16, limit int) ([]byte, bool) {
	start := len(out)
	out = slices.Grow(out, 2*maxNameLen+26)
	end, err := dns.PackDomainName(t.Hdr.Name, out[:cap(out)], start, nil, false)
	if err != nil {
		return out[:start], false
	}
	out = binary.BigEndian.AppendUint16(out[:end], dns.TypeTSIG)
	out = binary.BigEndian.AppendUint16(out, dns.ClassANY)
	out = binary.BigEndian.AppendUint32(out, 0) // TTL
	rdlen := len(out)
	out = append(out, 0, 0)
	end, err = dns.PackDomainName(t.Algorithm, out[:cap(out)], len(out), nil, false)
	if err != nil {
		return out[:start], false
	}
	out = out[:end]
	out = binary.BigEndian.AppendUint16(out, uint16(t.TimeSigned>>32))
	out = binary.BigEndian.AppendUint32(out, uint32(t.TimeSigned))
	out = binary.BigEndian.AppendUint16(out, t.Fudge)
	out = binary.BigEndian.AppendUint16(out, 0) // MAC size: unsigned
	out = binary.BigEndian.AppendUint16(out, id)
	out = binary.BigEndian.AppendUint16(out, dns.RcodeBadKey)
	out = binary.BigEndian.AppendUint16(out, 0) // other length
	if len(out) > limit {
		return out[:start], false
	}
	binary.BigEndian.PutUint16(out[rdlen:], uint16(len(out)-rdlen-2))
	return out, true
}

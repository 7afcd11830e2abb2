package dnssec

import (
	"fmt"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// maxDenyTypes bounds the type list given to Deny: a name in an outlast zone holds a handful of types.
const maxDenyTypes = 64

// Deny returns the signed compact denial (RFC 9824) for qname at now: an NSEC owned by qname whose
// Next Domain Name is qname's immediate successor, and its RRSIGs.
//
// exists false: qname does not exist; the bitmap is {RRSIG, NSEC, NXNAME} and types is ignored. The
// server answers NOERROR, or NXDOMAIN (setting CO in its OPT) when the query's OPT has the CO flag.
//
// exists true: qname exists without the asked type (NODATA) or is an empty non-terminal (types
// empty); the bitmap is types plus RRSIG and NSEC. The server answers NOERROR.
//
// Either way the server puts the NSEC and its RRSIGs in the authority section beside the signed SOA.
// Results are shared between callers and must not be modified. Denials of nonexistent names are
// cached by (qname, bitmap) in a fixed-size cache (Options.DenialCache), as they are made per query;
// those of existing names, made when the server builds its answers, in SignCached's cache.
func (s *Signer) Deny(qname string, exists bool, types []uint16, now time.Time) (nsec dns.RR, sigs []dns.RR, err error) {
	return s.denial(qname, exists, types, now, false)
}

// DenyLimited is Deny for a nonexistent name asked over a transport whose
// source can be forged (UDP): a denial not in the cache is signed only
// while the zone's allowance of fresh denials (Options.DenialRate a
// second, on Options.Clock) lasts, else it fails with ErrDenialBudget and
// the server sends the client to TCP, where its address is its own.
func (s *Signer) DenyLimited(qname string, now time.Time) (nsec dns.RR, sigs []dns.RR, err error) {
	return s.denial(qname, false, nil, now, true)
}

func (s *Signer) denial(qname string, exists bool, types []uint16, now time.Time, limited bool) (nsec dns.RR, sigs []dns.RR, err error) {
	qname = dns.CanonicalName(qname)
	if !inZone(qname, s.zone) {
		return nil, nil, fmt.Errorf("%w: %s is not in zone %s", ErrOutOfZone, qname, s.zone)
	}
	bitmap, err := denialBitmap(exists, types)
	if err != nil {
		return nil, nil, fmt.Errorf("%w for %s", err, qname)
	}
	if exists {
		// Existing names are denied when the server builds its answers, once per build: their
		// signatures live in the build's cache (SignCached), not in the per-query one.
		rr, err := s.compactNSEC(qname, bitmap)
		if err != nil {
			return nil, nil, err
		}
		sigs, err = s.SignCached([]dns.RR{rr}, now)
		return rr, sigs, err
	}
	var kb [320]byte // most keys fit: a hit then allocates nothing for its key
	key := appendDenialKey(kb[:0], qname, bitmap)
	if e, ok := s.deny.get(key); ok && !s.NeedsResign(e.sigs, now) {
		return e.nsec, e.sigs, nil
	}
	if limited && !s.budget.take(s.opts.Clock()) {
		return nil, nil, ErrDenialBudget
	}
	rr, err := s.compactNSEC(qname, bitmap)
	if err != nil {
		return nil, nil, err
	}
	sigs, err = s.Sign([]dns.RR{rr}, now)
	if err != nil {
		return nil, nil, err
	}
	s.deny.put(string(key), denial{nsec: rr, sigs: sigs})
	return rr, sigs, nil
}

// compactNSEC is the NSEC owned by qname whose Next Domain Name is its immediate successor.
func (s *Signer) compactNSEC(qname string, bitmap []uint16) (*dns.NSEC, error) {
	owner, next, err := successor(qname)
	if err != nil {
		return nil, err
	}
	return &dns.NSEC{
		Hdr:        dns.RR_Header{Name: owner, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: s.opts.DenialTTL},
		NextDomain: next, TypeBitMap: slices.Clone(bitmap),
	}, nil
}

// inZone reports whether the canonical name is zone or below it, like dns.IsSubDomain but without
// splitting the name into labels (which allocates on every query). The zone must start at a label
// boundary of name: after a dot that is not escaped (preceded by an even number of backslashes).
func inZone(name, zone string) bool {
	if zone == "." || name == zone {
		return true
	}
	i := len(name) - len(zone)
	if i < 2 || name[i:] != zone || name[i-1] != '.' {
		return false
	}
	slashes := 0
	for j := i - 2; j >= 0 && name[j] == '\\'; j-- {
		slashes++
	}
	return slashes%2 == 0
}

// nxBitmap is the bitmap of every nonexistent name (RFC 9824 3.1); shared, never modified.
var nxBitmap = []uint16{dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNXNAME}

// denialBitmap is the NSEC type bitmap for a denial, sorted and without duplicates as RFC 4034 4.1.2
// encodes it. Meta types and query types (OPT, 128-255 apart from none) cannot exist at a name.
func denialBitmap(exists bool, types []uint16) ([]uint16, error) {
	if !exists {
		return nxBitmap, nil
	}
	if len(types) > maxDenyTypes {
		return nil, fmt.Errorf("%w: %d types, more than %d", ErrTypes, len(types), maxDenyTypes)
	}
	out := make([]uint16, 0, len(types)+2)
	for _, t := range types {
		if t == 0 || t == dns.TypeOPT || (t >= 128 && t <= 255) {
			return nil, fmt.Errorf("%w: type %d (%s) cannot be held by a name", ErrTypes, t, dns.TypeToString[t])
		}
		out = append(out, t)
	}
	out = append(out, dns.TypeRRSIG, dns.TypeNSEC)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// denialKey is the cache key: the canonical name, a zero byte (which a presentation-format name
// never holds unescaped), and the bitmap's types as bytes.
func appendDenialKey(b []byte, qname string, bitmap []uint16) []byte {
	b = append(b, qname...)
	b = append(b, 0)
	for _, t := range bitmap {
		b = append(b, byte(t>>8), byte(t))
	}
	return b
}

// successor returns name as it reads after a trip through the wire (a name not from a query may be
// spelled with escapes miekg reads loosely, such as \0) and its immediate successor in DNSSEC
// canonical order (RFC 4034 6.1), which makes the NSEC cover no name but qname itself. Normally that is \000.name (RFC 9824). When that would be
// longer than 255 octets, the successor among names of legal length: name's first label with a zero
// octet appended, or else with its last octet raised by one (RFC 4471 3.1.2).
func successor(name string) (owner, next string, err error) {
	var buf [256]byte
	n, err := dns.PackDomainName(name, buf[:], 0, nil, false)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %v", ErrOutOfZone, name, err)
	}
	if owner, _, err = dns.UnpackDomainName(buf[:n], 0); err != nil {
		return "", "", fmt.Errorf("%w: %s: %v", ErrOutOfZone, name, err)
	}
	if n+2 <= 255 {
		return owner, `\000.` + owner, nil
	}
	wire := make([]byte, 0, n+1)
	if l := int(buf[0]); l < 63 && n+1 <= 255 {
		wire = append(wire, byte(l+1))
		wire = append(wire, buf[1:1+l]...)
		wire = append(wire, 0)
		wire = append(wire, buf[1+l:n]...)
	} else if wire, err = bumpFirstLabel(buf[:n]); err != nil {
		return "", "", fmt.Errorf("%w: %s has no successor of legal length", ErrOutOfZone, name)
	}
	next, _, err = dns.UnpackDomainName(wire, 0)
	return owner, next, err
}

// bumpFirstLabel raises the last octet of the first label that is below 0xff (dropping the 0xff
// octets after it), skipping the upper-case letters, which compare as lower case.
func bumpFirstLabel(wire []byte) ([]byte, error) {
	l := int(wire[0])
	label := slices.Clone(wire[1 : 1+l])
	for len(label) > 0 && label[len(label)-1] == 0xff {
		label = label[:len(label)-1]
	}
	if len(label) == 0 {
		return nil, fmt.Errorf("label of 0xff octets")
	}
	c := label[len(label)-1] + 1
	if c >= 'A' && c <= 'Z' {
		c = 'Z' + 1
	}
	label[len(label)-1] = c
	out := append([]byte{byte(len(label))}, label...)
	return append(out, wire[1+l:]...), nil
}

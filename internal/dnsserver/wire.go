package dnsserver

import (
	"encoding/binary"
	"fmt"

	"github.com/miekg/dns"
)

// headerLen is the fixed DNS message header size; the question name always
// starts right after it, which is what owner-name pointers rely on.
const headerLen = 12

// maxNameLen is the longest a domain name can be in wire form (RFC 1035 3.1).
const maxNameLen = 255

// wireRR is one resource record in wire form, split so it can be written
// into any response: the owner name is either a suffix of the reference name
// (written as a two-byte compression pointer) or a literal name.
//
// The reference name is the question name, except after a CNAME chain: the
// records of the chain's last target are owned by that target, which is the
// rdata of the last CNAME written, so their owners point into it. A CNAME
// record's rdata is its target, written uncompressed, so the target ends
// where the record ends.
type wireRR struct {
	// suffix > 0 means the owner is the last suffix bytes of the reference
	// name in wire form; the record then takes the case the reference has
	// (the case the client asked in, for the question).
	suffix int
	// owner is the literal wire-form owner, used when suffix == 0.
	owner []byte
	// tail is everything after the owner: type, class, TTL, rdlength, rdata.
	tail []byte
	// sigs are the RRSIGs of the RRset this record belongs to, owned as it
	// is (the same suffix or owner), written after the set to a query with
	// the DO bit; every record of a set holds the same slice. Nil in an
	// unsigned zone and for data that is not signed (glue, delegation NS).
	sigs []wireRR
}

func (rr *wireRR) size() int {
	if rr.suffix > 0 {
		return 2 + len(rr.tail)
	}
	return len(rr.owner) + len(rr.tail)
}

// appendTo writes the record; ref is the offset in out just past the
// reference name (headerLen plus the question name's length, for the
// question). Every reference lies in the first few kilobytes of a reply,
// well inside a pointer's 14 bits.
func (rr *wireRR) appendTo(out []byte, ref int) []byte {
	switch {
	case rr.suffix == 1:
		out = append(out, 0) // the root name: a pointer would be longer
	case rr.suffix > 0:
		ptr := 0xC000 | uint16(ref-rr.suffix)
		out = binary.BigEndian.AppendUint16(out, ptr)
	default:
		out = append(out, rr.owner...)
	}
	return append(out, rr.tail...)
}

func setSize(rrs []wireRR) int {
	n := 0
	for i := range rrs {
		n += rrs[i].size()
	}
	return n
}

// appendRotated writes rrs starting at index start, wrapping around, so the
// shared slice is never reordered in place; ref is as for appendTo.
func appendRotated(out []byte, rrs []wireRR, start, ref int) []byte {
	for i := range rrs {
		out = rrs[(start+i)%len(rrs)].appendTo(out, ref)
	}
	return out
}

// appendChain writes a CNAME chain, each record owned by the previous one's
// target, and returns the offset just past the last target, the reference
// for what follows the chain.
func appendChain(out []byte, chain []wireRR, ref int) ([]byte, int) {
	for i := range chain {
		out = chain[i].appendTo(out, ref)
		ref = len(out)
	}
	return out, ref
}

// wireName packs a presentation-format name into lower-case wire form.
func wireName(name string) ([]byte, error) {
	buf := make([]byte, maxNameLen)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil, fmt.Errorf("dnsserver: name %q: %w", name, err)
	}
	lowerASCII(buf[:n], buf[:n])
	return buf[:n:n], nil
}

// lowerASCII lower-cases src into dst. Only A-Z are folded: DNS names compare
// case-insensitively for ASCII letters only (RFC 4343).
func lowerASCII(dst, src []byte) {
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// packTail packs rr with miekg/dns and returns everything after its owner
// name. The owner is set to the root first, so it is one byte long; the rr
// is a fresh value built for this purpose, so changing it is fine.
func packTail(rr dns.RR) ([]byte, error) {
	rr.Header().Name = "."
	buf := make([]byte, dns.Len(rr))
	n, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil, fmt.Errorf("dnsserver: packing %s record: %w", dns.TypeToString[rr.Header().Rrtype], err)
	}
	return buf[1:n:n], nil
}

// ownedBy returns rr as a wireRR whose owner is the question-name suffix of
// length suffix (the name itself or its zone apex).
func ownedBy(rr dns.RR, suffix int) (wireRR, error) {
	tail, err := packTail(rr)
	if err != nil {
		return wireRR{}, err
	}
	return wireRR{suffix: suffix, tail: tail}, nil
}

// literal returns rr as a wireRR that carries its own owner name.
func literal(rr dns.RR) (wireRR, error) {
	owner, err := wireName(rr.Header().Name)
	if err != nil {
		return wireRR{}, err
	}
	tail, err := packTail(rr)
	if err != nil {
		return wireRR{}, err
	}
	return wireRR{owner: owner, tail: tail}, nil
}

// parentOf returns the wire name one label up, or nil for the root.
func parentOf(wire []byte) []byte {
	if len(wire) <= 1 {
		return nil
	}
	return wire[1+int(wire[0]):]
}

package dnsserver

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"

	"outlast/internal/rrl"
)

// RateLimit is response rate limiting for UDP answers (see internal/rrl);
// TCP answers are never limited: a TCP client's address is real.
type RateLimit struct {
	// Limiter decides; nil limits nothing.
	Limiter *rrl.Limiter
	// Exempt are client networks never limited.
	Exempt []netip.Prefix
}

func (r *RateLimit) exempt(addr netip.Addr) bool {
	for _, p := range r.Exempt {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// account is what RRL charges a reply to: its class, and the name the
// class is keyed by (internal/rrl): the question name for an answer, the
// zone (the owner of the negative answer's SOA, or the delegation's NS)
// for NXDOMAIN, NODATA and referrals.
func account(rep *reply, qname []byte) (rrl.Class, []byte) {
	switch {
	case rep.rcode == dns.RcodeNameError:
		return rrl.NXDomain, ownerOf(rep.authority, qname)
	case rep.rcode != dns.RcodeSuccess:
		return rrl.Error, nil
	case len(rep.answer) > 0 || len(rep.chain) > 0:
		return rrl.Answer, qname
	case !rep.aa && len(rep.authority) > 0:
		return rrl.Referral, ownerOf(rep.authority, qname)
	default:
		return rrl.NoData, ownerOf(rep.authority, qname)
	}
}

// ownerOf is the owner name of the first record of rrs, in wire form: a
// suffix of the question name, or its own bytes.
func ownerOf(rrs []wireRR, qname []byte) []byte {
	if len(rrs) == 0 {
		return qname
	}
	if s := rrs[0].suffix; s > 0 && s <= len(qname) {
		return qname[len(qname)-s:]
	}
	return rrs[0].owner
}

// slip turns a finished UDP reply into its truncated form: the header with
// TC set and the question, no records, so a real client retries over TCP
// while a forged source gets no more bytes than it sent.
func slip(reply []byte) []byte {
	if len(reply) < headerLen {
		return reply
	}
	end, qd := headerLen, 0
	if binary.BigEndian.Uint16(reply[4:]) == 1 {
		for end < len(reply) && reply[end] != 0 {
			end += 1 + int(reply[end]) // the question name is written uncompressed
		}
		end += 1 + 4 // the root label, QTYPE and QCLASS
		qd = 1
	}
	if end > len(reply) {
		end, qd = headerLen, 0 // no question to keep after all
	}
	flags := binary.BigEndian.Uint16(reply[2:]) | flagTC
	putHeader(reply, binary.BigEndian.Uint16(reply[0:]), flags, qd, 0, 0, 0)
	return reply[:end]
}

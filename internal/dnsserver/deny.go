package dnsserver

import (
	"errors"

	"github.com/miekg/dns"

	"outlast/internal/dnssec"
)

// denyNX is the signed compact denial (RFC 9824) of qname (lower-case wire
// form, not kept), a name that does not exist in signed zone z, for a query
// with the DO bit. It is the one answer signed on the query path, as any
// name can be asked: the signer caches it (dnssec.Signer.Deny), but writing
// it down allocates (the name in presentation form, the packed NSEC and
// RRSIGs), which is accepted for nonexistent names only. Nil when the name
// cannot be denied (the reply is then the unsigned NXDOMAIN).
//
// Over UDP, whose source can be forged, a denial not cached is signed only
// within the zone's allowance of fresh denials a second (DenyLimited):
// spent reports it was used up, and the client is sent to TCP.
func (z *zone) denyNX(qname []byte, udp bool) (denial []wireRR, spent bool) {
	var nsec dns.RR
	var sigs []dns.RR
	var err error
	if udp {
		nsec, sigs, err = z.signer.DenyLimited(present(qname), z.now)
	} else {
		nsec, sigs, err = z.signer.Deny(present(qname), false, nil, z.now)
	}
	if errors.Is(err, dnssec.ErrDenialBudget) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	w, err := denialWire(nsec, sigs, len(qname))
	if err != nil {
		return nil, false
	}
	return w, false
}

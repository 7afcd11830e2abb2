package dnsserver

// denyNX is the signed compact denial (RFC 9824) of qname (lower-case wire
// form, not kept), a name that does not exist in signed zone z, for a query
// with the DO bit. It is the one answer signed on the query path, as any
// name can be asked: the signer caches it (dnssec.Signer.Deny), but writing
// it down allocates (the name in presentation form, the packed NSEC and
// RRSIGs), which is accepted for nonexistent names only. Nil when the name
// cannot be denied (the reply is then the unsigned NXDOMAIN).
func (z *zone) denyNX(qname []byte) []wireRR {
	nsec, sigs, err := z.signer.Deny(present(qname), false, nil, z.now)
	if err != nil {
		return nil
	}
	w, err := denialWire(nsec, sigs, len(qname))
	if err != nil {
		return nil
	}
	return w
}

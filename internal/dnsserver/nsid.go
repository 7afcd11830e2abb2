package dnsserver

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// asksNSID reports whether the query's OPT carries the NSID option (RFC
// 5001 2.1: empty in a query; a non-empty one is ignored as asking all the
// same, as Knot and BIND do).
func asksNSID(opt *dns.OPT) bool {
	for _, o := range opt.Option {
		if o.Option() == dns.EDNS0NSID {
			return true
		}
	}
	return false
}

// nsidLen is the length of the NSID option carrying id.
func nsidLen(id []byte) int {
	if id == nil {
		return 0
	}
	return 4 + len(id)
}

// appendNSID appends the NSID option carrying this node's identifier.
func appendNSID(out, id []byte) []byte {
	out = binary.BigEndian.AppendUint16(out, dns.EDNS0NSID)
	out = binary.BigEndian.AppendUint16(out, uint16(len(id)))
	return append(out, id...)
}

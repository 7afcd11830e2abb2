package dnsserver

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/miekg/dns"

	"outlast/internal/xfr"
)

// A secondary at another provider holds one copy of a zone and serves it to
// everyone, so what it gets is one answer per name and type: the answer a
// client in no area gets now, with these choices for what varies per query
// here:
//
//	geo name                 the default area's answer (Area "")
//	weighted addresses       the union of the addresses of every pool of
//	                         weight > 0: each is one the server hands out,
//	                         and a secondary rotating through them spreads
//	                         the load roughly as the weights do when they
//	                         are alike. With no pool of weight > 0, pool 0,
//	                         which the server then answers.
//	weighted CNAME           the target of the heaviest pool (the first of
//	                         equal weights): a name holds one CNAME at most
//	ModeEmpty                nothing: the name answers NODATA, as here
//	ModeUnresolved           nothing: SERVFAIL cannot be transferred, and
//	                         NODATA for a while is what the secondary can say
//
// Everything else is exported as answered: the SOA, the apex NS, the in-zone
// nameserver glue, static records (delegations and their glue included)
// and steered addresses and CNAMEs. Synthesised answers (the RFC 8482 HINFO
// to ANY, additional-section copies, CNAME chains followed into other
// names) are not records of their own and are left out; each name's own
// records are exported at that name. DNSSEC signatures are not exported:
// transfers of signed zones are not supported yet.

// Zone returns the zone of apex as the server answers it now, for a zone
// transfer: the SOA first, then every other record once, sorted by owner
// (lower-case wire form) and type. ok is false when the snapshot serves no
// such zone (or holds no zones: Holding).
func (s *Snapshot) Zone(apex string) (records []dns.RR, ok bool) {
	wire, err := wireName(apex)
	if err != nil {
		return nil, false
	}
	z := s.zones[string(wire)]
	if z == nil {
		return nil, false
	}
	records = append(records, unwire(z.soa, wire)...)
	var owners []string
	for k, n := range s.names {
		if n.zone == z {
			owners = append(owners, k)
		}
	}
	slices.Sort(owners)
	seen := make(map[string]bool)
	for _, k := range owners {
		for _, rr := range s.names[k].export([]byte(k)) {
			if key := rr.String(); !seen[key] {
				seen[key] = true
				records = append(records, rr)
			}
		}
	}
	return records, true
}

// ZoneVersion is Zone as an xfr.Version, whose serial is the SOA's: what
// the node adds to the zone's journal after each Swap (see
// xfr.Journal.AddIfChanged).
func (s *Snapshot) ZoneVersion(apex string) (xfr.Version, error) {
	records, ok := s.Zone(apex)
	if !ok {
		return xfr.Version{}, fmt.Errorf("dnsserver: the snapshot serves no zone %q to transfer", apex)
	}
	return xfr.Version{Serial: records[0].(*dns.SOA).Serial, Records: records}, nil
}

// export returns the records owned by n, whose lower-case wire name is
// owner, in type order; the apex's SOA is left to the caller.
func (n *node) export(owner []byte) []dns.RR {
	var out []dns.RR
	if n.apex {
		out = append(out, unwire(n.zone.ns, owner)...)
	}
	for _, set := range []*addrSet{n.a, n.aaaa} {
		if set != nil {
			out = append(out, unwire(set.exported(), owner)...)
		}
	}
	if c := n.cname; c != nil {
		if c.weighted() {
			c = c.heaviest()
		}
		if len(c.chain) > 0 {
			out = append(out, unwire(c.chain[:1], owner)...)
		}
	}
	for i := range n.sets {
		out = append(out, unwire(n.sets[i].rrs, owner)...)
	}
	return out
}

// exported is the records an address set exports (see the table above).
func (set *addrSet) exported() []wireRR {
	switch {
	case set.unresolved:
		return nil
	case len(set.pools) == 0:
		return set.fixed
	}
	var out []wireRR
	for i, p := range set.answer.Pools {
		if p.Weight > 0 {
			out = append(out, set.pools[i]...)
		}
	}
	if out == nil {
		return set.pools[0]
	}
	return out
}

// heaviest returns the CNAME of the pool of greatest weight, the first of
// equal weights.
func (c *cname) heaviest() *cname {
	best := 0
	for i, p := range c.weights.Pools {
		if p.Weight > c.weights.Pools[best].Weight {
			best = i
		}
	}
	return &c.pools[best]
}

// unwire turns precomputed records back into miekg records, their owner
// name being ref for records owned by (a suffix of) the reference name.
// The records were packed by miekg when the snapshot was built, so they
// unpack; one that does not is left out rather than exported broken.
func unwire(rrs []wireRR, ref []byte) []dns.RR {
	out := make([]dns.RR, 0, len(rrs))
	var buf bytes.Buffer
	for i := range rrs {
		buf.Reset()
		if rrs[i].suffix > len(ref) {
			continue
		}
		if rrs[i].suffix > 0 {
			buf.Write(ref[len(ref)-rrs[i].suffix:])
		} else {
			buf.Write(rrs[i].owner)
		}
		buf.Write(rrs[i].tail)
		rr, _, err := dns.UnpackRR(buf.Bytes(), 0)
		if err == nil {
			out = append(out, rr)
		}
	}
	return out
}

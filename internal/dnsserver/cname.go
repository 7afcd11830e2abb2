package dnsserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/miekg/dns"

	"outlast/internal/model"
)

// cname is a name's CNAME, from the zone's records or from a service
// (answer: cname), and where its chain leads.
type cname struct {
	target []byte   // the first target, lower-case wire form
	chain  []wireRR // the CNAMEs from this name on, each owned by the previous target
	end    *node    // the last target, when it is served here and authoritative
	nx     *zone    // the zone the last target would be in, when it does not exist
	// nxDenial is the signed compact denial of the missing last target,
	// when nx is signed (see reply.denial).
	nxDenial []wireRR
	// steered marks a service's CNAME: it replaced the name's static
	// CNAME, A and AAAA, and a second service may not claim the name.
	steered bool
	// A weighted service holds one CNAME per pool in pools, each with its
	// own chain, and weights (the pools' endpoints and weights) says which
	// answers a query; the fields above are then unused.
	weights model.Answer
	pools   []cname
}

// choose returns the CNAME one query answers with: the name's own, or for a
// weighted service one pool's, drawn from the same random source as the
// weighted address answers. It does not allocate.
func (c *cname) choose() *cname {
	if len(c.pools) == 0 {
		return c
	}
	return c.pick(rand.Uint64())
}

// pick returns the pool's CNAME that answers for the random value r, as
// model.Answer.PickIndex chooses it.
func (c *cname) pick(r uint64) *cname {
	return &c.pools[c.weights.PickIndex(r)]
}

// weighted reports whether the answer is drawn per query, so no chain
// computed ahead of time may run through it.
func (c *cname) weighted() bool { return len(c.pools) > 0 }

// steeredCNAME builds a service's CNAME answer for a name of nameLen
// bytes: a fixed Target, or one target per weighted pool.
func steeredCNAME(a *model.Answer, nameLen int) (*cname, error) {
	if err := checkCNAMEAnswer(a); err != nil {
		return nil, err
	}
	c := &cname{steered: true}
	var err error
	if a.Target != "" {
		err = c.set(a.Target, a.TTL, nameLen)
	}
	for _, p := range a.Pools {
		c.weights.Pools = append(c.weights.Pools, model.WeightedPool{Endpoint: p.Endpoint, Weight: p.Weight})
		c.pools = append(c.pools, cname{steered: true})
		err = errors.Join(err, c.pools[len(c.pools)-1].set(p.Target, a.TTL, nameLen))
	}
	if err != nil {
		return nil, fmt.Errorf("dnsserver: answer %s: %w", a.Name, err)
	}
	return c, nil
}

// answersCNAME reports whether a steered answer is placed as a CNAME: an
// empty or unresolved CNAME answer holds nothing to point at, and answers
// its type as an address answer in that mode would.
func answersCNAME(a *model.Answer) bool {
	return a.IsCNAME() && a.Mode != model.ModeEmpty && a.Mode != model.ModeUnresolved
}

// checkCNAMEAnswer refuses a CNAME answer that also holds addresses, or
// whose pools do not all name a target.
func checkCNAMEAnswer(a *model.Answer) error {
	switch {
	case len(a.Addrs) > 0:
		return fmt.Errorf("dnsserver: answer %s: a CNAME to %s cannot also hold addresses", a.Name, a.Target)
	case a.Target != "" && len(a.Pools) > 0:
		return fmt.Errorf("dnsserver: answer %s: a CNAME to %s cannot also hold weighted pools", a.Name, a.Target)
	}
	for _, p := range a.Pools {
		if p.Target == "" || len(p.Addrs) > 0 {
			return fmt.Errorf("dnsserver: answer %s: weighted pool of endpoint %q must hold a target and no addresses, as every pool of a CNAME answer", a.Name, p.Endpoint)
		}
	}
	return nil
}

// set makes c a CNAME to target, owned by the question name (nameLen bytes).
func (c *cname) set(target string, ttl uint32, nameLen int) error {
	if _, ok := dns.IsDomainName(target); !ok || target == "" {
		return fmt.Errorf("target %q is not a domain name", target)
	}
	wire, err := wireName(target)
	if err != nil {
		return err
	}
	rr, err := ownedBy(&dns.CNAME{Hdr: header(dns.TypeCNAME, ttl), Target: dns.Fqdn(target)}, nameLen)
	if err != nil {
		return err
	}
	c.target, c.chain = wire, []wireRR{rr}
	return nil
}

// resolveCNAME precomputes the chain of a name's CNAME, or of each pool's.
func (s *Snapshot) resolveCNAME(n *node) {
	if !n.cname.weighted() {
		s.resolveChain(n, n.cname)
		return
	}
	for i := range n.cname.pools {
		s.resolveChain(n, &n.cname.pools[i])
	}
}

// resolveChain follows c, n's CNAME, while its targets are served here and
// authoritative, for at most maxChain records and never round a loop. It
// stops before a weighted CNAME: that one is drawn per query, so the
// resolver asks for it and gets the weighting; and before a geo name,
// whose answer depends on the client, so the resolver asks for it with
// the client's subnet and caches it per subnet.
func (s *Snapshot) resolveChain(n *node, c *cname) {
	visited := []*node{n}
	target := c.target
	for {
		t := s.names[string(target)]
		if t == nil {
			c.nx = s.nxZone(target)
			return
		}
		if t.cut != nil || t.geo != nil || slices.Contains(visited, t) {
			return
		}
		if t.cname == nil {
			c.end = t
			return
		}
		if len(c.chain) == maxChain || t.cname.weighted() {
			return
		}
		c.chain = append(c.chain, t.cname.chain[0])
		visited = append(visited, t)
		target = t.cname.target
	}
}

// follow answers through the CNAME chain that starts here: the chain, then
// what its last target answers, when that target is served here. When the
// target answers SERVFAIL (a service with no resolved address), so does the
// whole reply, without records: a resolver then asks another server and
// caches nothing, not even the CNAME.
func (c *cname) follow(qtype uint16) reply {
	rep := reply{aa: true}
	switch {
	case c.end != nil:
		rep = c.end.answer(qtype)
		if rep.rcode == dns.RcodeServerFailure {
			return reply{rcode: dns.RcodeServerFailure}
		}
		rep.aa = true
	case c.nx != nil:
		rep = reply{rcode: dns.RcodeNameError, aa: true, authority: c.nx.negSOA, denial: c.nxDenial}
	}
	rep.chain = c.chain
	return rep
}

// kind says which CNAME this is, for messages.
func (c *cname) kind() string {
	if c.steered {
		return "a service's CNAME answer"
	}
	return "a CNAME"
}

package zone

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
)

// Check parses every zone's records and checks them against the rest of
// the configuration, reporting every problem at once as a *config.Error
// (named after cfg.Source, each problem under its field path; a record's
// message starts with FILE:LINE). It must run after config.Load or
// config.Parse and before the configuration is used or replicated.
//
// Check also completes the zones whose configuration leaves out what their
// records say: an empty ns takes the apex NS set (glue from the records'
// A and AAAA), an empty soa.mname the file's SOA MNAME (else the first
// nameserver), an empty soa.rname its RNAME (else hostmaster.<apex>).
// Then it sets cfg.Hash again, so the hash covers what every node serves.
func Check(cfg *config.Config) error {
	c := &checker{cfg: cfg, zones: make([]*parsed, len(cfg.Zones))}
	for i := range cfg.Zones {
		c.zone(i)
	}
	for i := range cfg.Services {
		c.service(i)
	}
	if len(c.problems) == 0 && c.omitted == 0 {
		cfg.Hash = cfg.Shared().Hash()
		return nil
	}
	problems := c.problems
	if c.omitted > 0 {
		problems = append(problems, config.Problem{Message: fmt.Sprintf(
			"… and %d more problems not listed (config.MaxProblems is %d); fix these and check again", c.omitted, config.MaxProblems)})
	}
	return &config.Error{File: cfg.Source, Problems: problems, Omitted: c.omitted}
}

type checker struct {
	cfg      *config.Config
	zones    []*parsed // by index in cfg.Zones; nil where the records do not parse
	problems []config.Problem
	omitted  int
}

func (c *checker) add(path, format string, args ...any) {
	if len(c.problems) >= config.MaxProblems {
		c.omitted++
		return
	}
	c.problems = append(c.problems, config.Problem{Path: path, Message: clipTo(fmt.Sprintf(format, args...), maxMessage)})
}

// at adds a problem with record e: under the field that holds it, the
// inline record itself or the zone's file (whose FILE:LINE leads the message).
func (c *checker) at(path string, e entry, format string, args ...any) {
	if strings.HasPrefix(e.where, path+".records[") {
		c.add(e.where, format, args...)
		return
	}
	c.add(path+".file", "%s: "+format, append([]any{e.where}, args...)...)
}

func (c *checker) zone(i int) {
	z := &c.cfg.Zones[i]
	path := fmt.Sprintf("zones[%d]", i)
	p, err := parseZone(*z, path)
	var rerr *recordError
	switch {
	case errors.As(err, &rerr):
		c.add(rerr.field, "%s", rerr.msg)
		return
	case err != nil:
		c.add(path, "%s", clipTo(err.Error(), maxMessage))
		return
	}
	c.zones[i] = p
	c.owners(path, p)
	c.nameservers(path, z, p)
	c.fillSOA(z, p)
}

// owners checks every record's name: inside this zone and not in a more
// specific zone of the configuration, a CNAME alone at its name and never
// at the apex, an SOA only at the apex, no wildcard or DNAME (not served),
// and below a delegation only what a parent holds there (below).
func (c *checker) owners(path string, p *parsed) {
	defer c.belowCuts(path, p)
	p.names = p.byName()
	p.cuts, p.cnames = make(map[string]entry), make(map[string]entry)
	for _, e := range p.entries {
		h := e.rr.Header()
		name := strings.ToLower(h.Name)
		if !dns.IsSubDomain(p.apex, name) {
			c.at(path, e, "%s is outside zone %s", clip(h.Name), p.apex)
			continue
		}
		if z := config.ZoneOf(name, c.cfg.Zones); z != nil && z.Apex != p.apex {
			c.at(path, e, "%s belongs to zone %s, configured on its own; put the record there", clip(h.Name), z.Apex)
		}
		if strings.HasPrefix(name, "*.") || name == "*" {
			c.at(path, e, "%s is a wildcard, which outlast does not serve; write the names out", clip(h.Name))
		}
		switch h.Rrtype {
		case dns.TypeDNAME:
			c.at(path, e, "DNAME at %s: outlast does not serve DNAME; delegate the subtree or write CNAMEs", clip(h.Name))
		case dns.TypeNS:
			if _, seen := p.cuts[name]; !seen {
				p.cuts[name] = e
			}
		case dns.TypeSOA:
			c.at(path, e, "SOA at %s, below the apex: a child zone's SOA; configure the child as its own zone or delegate it with NS", clip(h.Name))
		case dns.TypeCNAME:
			if _, seen := p.cnames[name]; !seen {
				p.cnames[name] = e
			}
			if name == p.apex {
				c.at(path, e, "CNAME at the apex %s: the apex holds SOA and NS, and a CNAME may not share its name (RFC 1034 3.6.2)", p.apex)
			} else if other := firstOther(p.names[name], e); other != nil {
				c.at(path, e, "CNAME at %s beside other data (%s at %s): a CNAME must be alone at its name (RFC 1034 3.6.2)",
					clip(h.Name), dns.Type(other.rr.Header().Rrtype), other.where)
			}
		}
	}
}

// belowCuts checks what sits at or below a delegation (an NS set below the
// apex): the child zone answers there, so the parent holds only the NS set
// and DS at the cut and glue addresses (A, AAAA) of the child's servers.
func (c *checker) belowCuts(path string, p *parsed) {
	if len(p.cuts) == 0 {
		return
	}
	for _, e := range p.entries {
		h := e.rr.Header()
		name := strings.ToLower(h.Name)
		cut, ns, ok := p.cutAt(name)
		if !ok {
			continue
		}
		atCut := cut == name && (h.Rrtype == dns.TypeNS || h.Rrtype == dns.TypeDS)
		if !atCut && h.Rrtype != dns.TypeA && h.Rrtype != dns.TypeAAAA {
			c.at(path, e, "%s %s is at or below the delegation of %s (NS at %s): the child zone answers there; "+
				"only the NS set, DS and glue addresses belong in the parent", clip(h.Name), dns.Type(h.Rrtype), cut, ns.where)
		}
	}
}

// firstOther is the first record at a CNAME's name other than the CNAME
// e itself, or nil. Of two CNAMEs at one name, the second reports the first.
func firstOther(list []entry, e entry) *entry {
	self := false
	for i := range list {
		o := &list[i]
		switch {
		case o.rr == e.rr:
			self = true
		case self && o.rr.Header().Rrtype == dns.TypeCNAME:
			// a later CNAME names this one in its own problem
		default:
			return o
		}
	}
	return nil
}

// byName groups the records by lower-cased owner name.
func (p *parsed) byName() map[string][]entry {
	out := make(map[string][]entry)
	for _, e := range p.entries {
		name := strings.ToLower(e.rr.Header().Name)
		out[name] = append(out[name], e)
	}
	return out
}

// nameservers fills an empty ns from the apex NS records, or checks that
// both name the same servers and glue.
func (c *checker) nameservers(path string, z *config.Zone, p *parsed) {
	var names []string
	for _, e := range p.ns {
		names = append(names, strings.ToLower(e.rr.(*dns.NS).Ns))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(z.NS) == 0 {
		if len(names) == 0 {
			c.add(path+".ns", "zone %s has no nameservers: none in ns and no NS records at the apex of its records", p.apex)
			return
		}
		for _, n := range names {
			glue := p.glue(n)
			if len(glue) == 0 && dns.IsSubDomain(p.apex, n) {
				c.add(path+".ns", "nameserver %s (NS at %s) is inside zone %s, so the records need its A or AAAA (glue)",
					n, p.ns[0].where, p.apex)
			}
			z.NS = append(z.NS, config.NameServer{Name: n, Addresses: glue})
		}
		return
	}
	if len(names) == 0 {
		return // the configuration's ns are the zone's; the records add none
	}
	var want []string
	for _, ns := range z.NS {
		want = append(want, strings.ToLower(ns.Name))
	}
	slices.Sort(want)
	if want = slices.Compact(want); !slices.Equal(want, names) {
		c.add(path+".ns", "ns names %s but the apex NS records (%s) name %s; they must agree, or leave ns out to take the records'",
			clip(strings.Join(want, ", ")), p.ns[0].where, clip(strings.Join(names, ", ")))
	}
	for k, ns := range z.NS {
		glue := p.glue(strings.ToLower(ns.Name))
		if len(ns.Addresses) > 0 && len(glue) > 0 && !sameAddrs(ns.Addresses, glue) {
			c.add(fmt.Sprintf("%s.ns[%d].addresses", path, k), "%v, but the records give %s the addresses %v; they must agree",
				ns.Addresses, ns.Name, glue)
		}
	}
}

// glue is the A and AAAA addresses the records hold for name, when name is
// inside the zone (glue outside it would not be authoritative).
func (p *parsed) glue(name string) []netip.Addr {
	if !dns.IsSubDomain(p.apex, name) {
		return nil
	}
	var out []netip.Addr
	for _, e := range p.entries {
		if !strings.EqualFold(e.rr.Header().Name, name) {
			continue
		}
		switch rr := e.rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(rr.A.To4()); ok {
				out = append(out, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

func sameAddrs(a, b []netip.Addr) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, netip.Addr.Compare)
	slices.SortFunc(b, netip.Addr.Compare)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// fillSOA takes the SOA names the configuration left out from the
// records' SOA; the timers stay the configuration's (with their defaults),
// and the serial is always outlast's.
func (c *checker) fillSOA(z *config.Zone, p *parsed) {
	var soa *dns.SOA
	if p.soa != nil {
		soa = p.soa.rr.(*dns.SOA)
	}
	if z.SOA.MName == "" {
		switch {
		case soa != nil:
			z.SOA.MName = strings.ToLower(soa.Ns)
		case len(z.NS) > 0:
			z.SOA.MName = z.NS[0].Name
		}
	}
	if z.SOA.RName == "" {
		z.SOA.RName = "hostmaster." + p.apex
		if soa != nil {
			z.SOA.RName = strings.ToLower(soa.Mbox)
		}
	}
	if soa != nil {
		s := &z.SOA
		fill(&s.Serial, soa.Serial)
		fill(&s.Refresh, time.Duration(soa.Refresh)*time.Second)
		fill(&s.Retry, time.Duration(soa.Retry)*time.Second)
		fill(&s.Expire, time.Duration(soa.Expire)*time.Second)
		fill(&s.Minimum, time.Duration(soa.Minttl)*time.Second)
		fill(&s.TTL, time.Duration(soa.Hdr.Ttl)*time.Second)
	}
	config.SOADefaults(&z.SOA) // a file without an SOA, or one with zero timers
}

// fill sets an unset field to the file's value.
func fill[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// service checks a steered name against the records of its zone: not at
// or below a delegation. A service may stand where the records hold a
// CNAME or addresses: its answers replace them (dnsserver.Static), which
// is how a migrated name becomes a steered one. A service that answers a
// CNAME may not stand beside records of any other type, since a CNAME
// must be alone at its name (RFC 1034 3.6.2).
func (c *checker) service(k int) {
	s := &c.cfg.Services[k]
	name := strings.ToLower(dns.Fqdn(s.Name))
	p := c.zoneOf(name)
	if p == nil {
		return // outside every zone (config reported it) or records that do not parse
	}
	path := fmt.Sprintf("services[%d].name", k)
	if cut, ns, ok := p.cutAt(name); ok {
		c.add(path, "%s is at or below the delegation of %s (NS at %s): the child zone answers for it, not outlast", s.Name, cut, ns.where)
		return
	}
	if s.Answer != config.AnswerCNAME {
		return
	}
	for _, e := range p.names[name] {
		if t := e.rr.Header().Rrtype; t != dns.TypeA && t != dns.TypeAAAA && t != dns.TypeCNAME {
			c.add(fmt.Sprintf("services[%d].answer", k), "cname: %s also holds %s records (%s), and a CNAME must be alone at its name; move them, or use answer: flatten",
				s.Name, dns.TypeToString[t], e.where)
			return
		}
	}
}

// zoneOf is the parsed records of the zone holding name, or nil.
func (c *checker) zoneOf(name string) *parsed {
	z := config.ZoneOf(name, c.cfg.Zones)
	for i := range c.cfg.Zones {
		if z == &c.cfg.Zones[i] {
			return c.zones[i]
		}
	}
	return nil
}

// cutAt is the delegation (an NS set below the apex) at or nearest above
// name, a lower-cased name in the zone, and its first NS record.
func (p *parsed) cutAt(name string) (cut string, ns entry, ok bool) {
	for cut := name; cut != p.apex && dns.IsSubDomain(p.apex, cut); cut = parent(cut) {
		if ns, ok := p.cuts[cut]; ok {
			return cut, ns, true
		}
	}
	return "", entry{}, false
}

// parent is name without its first label ("." for a top-level name).
func parent(name string) string {
	if i, end := dns.NextLabel(name, 0); !end {
		return name[i:]
	}
	return "."
}

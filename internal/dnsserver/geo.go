package dnsserver

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/miekg/dns"

	"outlast/internal/model"
)

// Areas maps a client address to the area its answers are chosen for.
type Areas interface {
	// Area returns the index (into the names given beside it) of the area addr falls in, and the prefix length of the entry that decided it; ok is false when addr is in no area.
	Area(addr netip.Addr) (index int, bits int, ok bool)
}

// Geo names. A geo service answers each client area with its own answer
// (model.Answer.Area) and clients in no area with its default (Area "").
// The default answers are placed as every other answer; then, per area,
// the name's node is copied and the area's answers replace the default
// ones of their types (a type the area does not answer keeps the
// default's), so every answer is precomputed and a query only picks a node.
// The copies are checked by the same rules as every name (a CNAME beside
// other data is refused). A CNAME chain stops before a geo name, as before
// a weighted CNAME: the resolver then asks for the geo name itself, with
// the client's subnet, and caches its answer per subnet.

// geoNode is what a geo name holds beside its default answers.
type geoNode struct {
	// views holds, by area index, the name as answered to that area's
	// clients; nil where the area has no answer of its own here.
	views []*node
	// a, aaaa: the area answers of these types differ from the default;
	// cname: some answer of the name is a CNAME, which answers every type.
	a, aaaa, cname bool
}

// dependsOn reports whether the answer to qtype may differ by area, so
// the client's area is looked up; other types answer without the lookup.
func (g *geoNode) dependsOn(qtype uint16) bool {
	switch qtype {
	case dns.TypeA:
		return g.a || g.cname
	case dns.TypeAAAA:
		return g.aaaa || g.cname
	case dns.TypeANY:
		return true // answered with the A or AAAA set
	}
	return g.cname
}

// forClient returns the node that answers c, the ECS scope of that
// choice (the bits of the entry that put the client in its area, at most
// the lookup limit, or, for a client in no area, the bits of its address
// that were looked up) and the area's name ("" for none). NewSnapshot
// makes geo names only with s.areas set, and views as long as s.areaNames.
func (s *Snapshot) forClient(n *node, c *client) (*node, uint8, string) {
	addr, used := c.lookupAddr()
	if used == 0 {
		return n, 0, ""
	}
	i, bits, ok := s.areas.Area(addr)
	if !ok || i < 0 || i >= len(n.geo.views) {
		return n, uint8(used), ""
	}
	if v := n.geo.views[i]; v != nil {
		n = v
	}
	return n, uint8(min(max(bits, 0), maxLookupBits(addr))), s.areaNames[i]
}

// answerKey is one name and type, the name in lower-case wire form.
type answerKey struct {
	name string
	typ  model.RecordType
}

// areaPlan is the area answers, sorted out and checked before anything
// is placed.
type areaPlan struct {
	names []string // area index → name
	// byName holds, per geo name (lower-case wire form), each area's answers.
	byName map[string][][]*model.Answer
	// defaultCNAME says, for each default answer, whether it is a CNAME
	// (which then answers every type at its name).
	defaultCNAME map[answerKey]bool
}

// planAreas checks the area answers against Static's areas and the
// default answers, and groups them by name and area.
func planAreas(answers []model.Answer, st *Static) (*areaPlan, error) {
	index, err := areaIndex(st.AreaNames)
	if err != nil {
		return nil, err
	}
	p := &areaPlan{names: st.AreaNames, byName: make(map[string][][]*model.Answer), defaultCNAME: make(map[answerKey]bool)}
	for i := range answers {
		if a := &answers[i]; a.Area == "" {
			if wire, err := wireName(a.Name); err == nil {
				p.defaultCNAME[answerKey{string(wire), a.Type}] = answersCNAME(a)
			}
		}
	}
	seen := make(map[answerKey]map[int]bool)
	var errs []error
	for i := range answers {
		a := &answers[i]
		if a.Area == "" {
			continue
		}
		if err := p.add(a, index, seen); err != nil {
			errs = append(errs, err)
		}
	}
	if len(p.byName) > 0 && st.Areas == nil {
		errs = append(errs, errors.New("dnsserver: answers for client areas, but Static.Areas is nil: set it to the table that maps clients to those areas"))
	}
	return p, errors.Join(errs...)
}

func areaIndex(names []string) (map[string]int, error) {
	index := make(map[string]int, len(names))
	for i, name := range names {
		if name == "" {
			return nil, fmt.Errorf("dnsserver: Static.AreaNames[%d] is empty: the answer for clients in no area has Area \"\" and needs no entry", i)
		}
		if _, dup := index[name]; dup {
			return nil, fmt.Errorf("dnsserver: Static.AreaNames lists area %q twice", name)
		}
		index[name] = i
	}
	return index, nil
}

// add files one area answer.
func (p *areaPlan) add(a *model.Answer, index map[string]int, seen map[answerKey]map[int]bool) error {
	i, ok := index[a.Area]
	if !ok {
		return fmt.Errorf("dnsserver: answer %s %s is for area %q, which Static.AreaNames does not list", a.Name, a.Type, a.Area)
	}
	wire, err := wireName(a.Name)
	if err != nil {
		return err
	}
	k := answerKey{string(wire), a.Type}
	if _, ok := p.defaultCNAME[k]; !ok {
		return fmt.Errorf("dnsserver: answer %s %s for area %q has no default answer (Area \"\"), which clients in no area need", a.Name, a.Type, a.Area)
	}
	if seen[k] == nil {
		seen[k] = make(map[int]bool)
	}
	if seen[k][i] {
		return fmt.Errorf("dnsserver: %s %s is defined twice for area %q", a.Name, a.Type, a.Area)
	}
	seen[k][i] = true
	per := p.byName[k.name]
	if per == nil {
		per = make([][]*model.Answer, len(p.names))
		p.byName[k.name] = per
	}
	per[i] = append(per[i], a)
	return nil
}

// markGeo marks the geo names, once their default answers are placed and
// before CNAME chains are resolved, so no chain runs through one.
func (s *Snapshot) markGeo(p *areaPlan) {
	for name := range p.byName {
		if n := s.names[name]; n != nil {
			n.geo = &geoNode{views: make([]*node, len(p.names))}
		}
	}
}

// addAreaViews builds every geo name's per-area nodes, once the snapshot
// is otherwise complete (the copies take its cuts, chains and HINFO).
func (s *Snapshot) addAreaViews(p *areaPlan) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.byName)) {
		n := s.names[name]
		for i, answers := range p.byName[name] {
			if len(answers) == 0 {
				continue
			}
			v, err := s.areaView(n, name, answers, p.defaultCNAME)
			if err != nil {
				errs = append(errs, fmt.Errorf("dnsserver: area %q: %s: %w", p.names[i], present([]byte(name)), err))
				continue
			}
			n.geo.views[i] = v
		}
		n.geo.noteTypes(n)
	}
	return errors.Join(errs...)
}

// areaView copies n and puts an area's answers in place of the default
// ones of their types.
func (s *Snapshot) areaView(n *node, name string, answers []*model.Answer, defaultCNAME map[answerKey]bool) (*node, error) {
	v := *n
	v.geo = nil
	for _, a := range answers {
		if defaultCNAME[answerKey{name, a.Type}] {
			v.cname = nil
		} else {
			*v.slot(a.Type == model.TypeAAAA) = nil
		}
	}
	for _, a := range answers {
		if err := v.place(a, len(name)); err != nil {
			return nil, err
		}
	}
	if v.cname != nil {
		s.resolveCNAME(&v)
	}
	return &v, v.check(nil)
}

// noteTypes records which types of a geo name may answer differently by
// area.
func (g *geoNode) noteTypes(n *node) {
	g.cname = n.cname != nil
	for _, v := range g.views {
		if v == nil {
			continue
		}
		g.cname = g.cname || v.cname != nil
		g.a = g.a || v.a != n.a
		g.aaaa = g.aaaa || v.aaaa != n.aaaa
	}
}

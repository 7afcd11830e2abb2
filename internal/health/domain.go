package health

import (
	"time"

	"outlast/internal/model"
)

// domains groups the vantage points by failure domain, so that each domain
// casts one vote however many nodes run in it. It is computed once in New;
// tallying then walks it without allocating.
type domains struct {
	// members holds vantage indexes, grouped so that each domain's members
	// are adjacent and in name order; domains appear in the order of their
	// first member's name.
	members []int
	// ends[d] is where domain d's run ends in members.
	ends []int
}

// domainKey names a failure domain. A vantage point without a Location is a
// domain of its own, keyed by its name, so that a single node, or vantage
// points nobody placed, each keep a whole vote.
type domainKey struct {
	loc     model.Location
	vantage string
}

func domainOf(v Vantage) domainKey {
	if v.Location == (model.Location{}) {
		return domainKey{vantage: v.Name}
	}
	return domainKey{loc: v.Location}
}

// groupDomains builds the grouping for vantages already sorted by name.
func groupDomains(vantages []Vantage) domains {
	var order []domainKey
	byKey := make(map[domainKey][]int)
	for i, v := range vantages {
		k := domainOf(v)
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	d := domains{members: make([]int, 0, len(vantages)), ends: make([]int, 0, len(order))}
	for _, k := range order {
		d.members = append(d.members, byKey[k]...)
		d.ends = append(d.ends, len(d.members))
	}
	return d
}

// count is the number of failure domains.
func (d *domains) count() int { return len(d.ends) }

// tally counts one vote per failure domain for the endpoint at now. Inside a
// domain the fresh views vote as usual; the domain then votes with their
// majority, and abstains when they tie or none of them is fresh.
func (d *domains) tally(ep *endpoint, now time.Time) Tally {
	var t Tally
	start := 0
	for _, end := range d.ends {
		var inside Tally
		for _, vi := range d.members[start:end] {
			if v := &ep.views[vi]; v.fresh(now, ep.window) {
				inside.Add(v.State)
			}
		}
		t.Add(inside.Result().vote())
		start = end
	}
	return t
}

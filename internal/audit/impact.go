package audit

import (
	"fmt"
	"slices"
	"strings"

	"outlast/internal/config"
	"outlast/internal/health"
	"outlast/internal/model"
)

// survival is what is left of outlast itself after a failure.
type survival struct {
	voters, votersLeft   int
	lostVoters           []string
	domains, domainsLeft int
	// quorum: the surviving voters are a strict majority, so a leader can
	// still be elected and commit.
	quorum bool
	// decides: the surviving vote domains are a strict majority of all
	// domains, the rule the health engine applies to change a verdict.
	decides bool
}

func (s survival) steers() bool { return s.quorum && s.decides }

func (d *Deployment) survive(f *failure) survival {
	var s survival
	domains := map[string]bool{}
	for _, n := range d.Nodes {
		lost := f.hits(n.Location)
		if n.Voter {
			s.voters++
			if !lost {
				s.votersLeft++
			} else {
				s.lostVoters = append(s.lostVoters, n.Name)
			}
		}
		key := n.Location.String()
		if key == "" {
			key = "node " + n.Name // as health does: an unplaced node is a domain of its own
		}
		if _, seen := domains[key]; !seen {
			domains[key] = !lost
		}
	}
	for _, alive := range domains {
		s.domains++
		if alive {
			s.domainsLeft++
		}
	}
	s.quorum = health.Tally{Up: s.votersLeft}.Quorum(s.voters) == health.VoteWon
	s.decides = health.Tally{Down: s.domainsLeft}.Quorum(s.domains) == health.VoteLost
	return s
}

// nsLeft counts the nameservers of one zone that survive f, and reports
// whether the zone goes dark: every nameserver is placed and lost.
func nsLeft(z zoneNS, f *failure) (left int, dark bool) {
	placed := true
	for _, ns := range z.ns {
		switch {
		case ns.location == (model.Location{}):
			placed = false
			left++
		case !f.hits(ns.location):
			left++
		}
	}
	return left, placed && left == 0 && len(z.ns) > 0
}

// serviceImpact is what f does to one service.
func serviceImpact(s config.Service, f *failure, sv survival, dark bool) ServiceImpact {
	out := ServiceImpact{Service: s.Name}
	var live, lost, kept []config.Endpoint
	for _, e := range s.Endpoints {
		if e.Drained {
			continue
		}
		live = append(live, e)
		if f.hits(e.Location) {
			lost = append(lost, e)
		} else {
			kept = append(kept, e)
		}
	}
	out.LostPct = lostShare(live, lost)
	gone := answered(s, live, lost)
	switch {
	case len(live) > 0 && len(kept) == 0:
		out.Impact, out.Note = ImpactDown, "every endpoint is in "+f.name
		if s.WhenAllDown == config.AllDownFallback {
			out.Note += "; only the fallback addresses are answered"
		}
	case dark:
		out.Impact, out.Note, out.NoNameserver = ImpactDown, "no nameserver of its zone is left", true
	case len(lost) == 0:
		out.Impact = ImpactNone
	case len(gone) > 0 && !sv.steers():
		out.Impact, out.Note = ImpactStuck, "keeps answering "+names(gone)+": "+sv.why()
	case s.Policy == config.PolicyFailover && len(gone) == len(topTier(live)):
		out.Impact, out.Note = ImpactFailover, "fails over to "+names(topTier(kept))+" ("+locations(topTier(kept))+")"
	default:
		out.Impact, out.Note = ImpactDegraded, "loses "+names(lost)
	}
	if out.Impact == ImpactDegraded {
		out.Moves = geoMoves(s, f)
		if len(out.Moves) > 0 {
			out.Note += fmt.Sprintf("; moves the clients of %d area(s)", len(out.Moves))
		}
	}
	return out
}

// why says in a few words why outlast cannot steer.
func (s survival) why() string {
	if !s.quorum {
		return fmt.Sprintf("no Raft quorum (%d of %d voters left)", s.votersLeft, s.voters)
	}
	return fmt.Sprintf("too few vote domains left to decide (%d of %d)", s.domainsLeft, s.domains)
}

// answered are the lost endpoints the service was answering with before the
// failure: the top tier for failover, those with weight for weighted, all for all.
func answered(s config.Service, live, lost []config.Endpoint) []config.Endpoint {
	var out []config.Endpoint
	top := topTier(live)
	for _, e := range lost {
		switch {
		case s.Policy == config.PolicyFailover && !slices.ContainsFunc(top, func(t config.Endpoint) bool { return t.Name == e.Name }):
		case s.Policy == config.PolicyWeighted && weight(e) == 0:
		default:
			out = append(out, e)
		}
	}
	return out
}

// topTier are the endpoints with the lowest priority number.
func topTier(eps []config.Endpoint) []config.Endpoint {
	var out []config.Endpoint
	for _, e := range eps {
		switch {
		case len(out) == 0 || e.Priority < out[0].Priority:
			out = []config.Endpoint{e}
		case e.Priority == out[0].Priority:
			out = append(out, e)
		}
	}
	return out
}

// lostShare is the percentage of the weight lost; by count when no
// endpoint has weight.
func lostShare(live, lost []config.Endpoint) float64 {
	var total, gone uint64
	for _, e := range live {
		total += uint64(weight(e))
	}
	for _, e := range lost {
		gone += uint64(weight(e))
	}
	if total == 0 {
		total, gone = uint64(len(live)), uint64(len(lost))
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(gone) / float64(total)
}

func weight(e config.Endpoint) uint32 {
	if e.Weight == nil {
		return 1
	}
	return *e.Weight
}

func names(eps []config.Endpoint) string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.Name
	}
	return strings.Join(out, ", ")
}

func locations(eps []config.Endpoint) string {
	var out []string
	for _, e := range eps {
		if l := e.Location.String(); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, ", ")
}

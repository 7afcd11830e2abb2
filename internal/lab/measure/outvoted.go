package measure

import (
	"fmt"
	"slices"
	"strings"
)

// OutvotedAfter is how long, in seconds, a node's own view of an endpoint
// must disagree with the agreed verdict to count as outvoted. Shorter
// disagreements are the ordinary lag of a majority decision: the node that
// sees a change first waits for the others' probes to reach the leader (a
// batch every 250 ms, the 50 ms evaluation tick, a commit), and the one that
// sees it last needs its own fall or rise probes (a few hundred ms in the lab).
const OutvotedAfter = 1.0

// outvotes finds, per node and endpoint, the spans of at least OutvotedAfter
// in which the node's view (up or down) differed from the agreed verdict
// (up or down), sorted by start. An unknown view or verdict disagrees with
// nothing. A span still open at end closes there; events after end are not
// read.
func outvotes(views []ViewEvent, changes []VerdictEvent, atStart map[string]string, end float64) []Outvote {
	sorted := slices.Clone(views)
	slices.SortStableFunc(sorted, func(a, b ViewEvent) int { return cmpFloat(a.At, b.At) })
	type pair struct{ vantage, endpoint string }
	var pairs []pair
	per := map[pair][]ViewEvent{}
	for _, v := range sorted {
		p := pair{v.Vantage, v.Endpoint}
		if _, seen := per[p]; !seen {
			pairs = append(pairs, p)
		}
		per[p] = append(per[p], v)
	}
	out := []Outvote{}
	for _, p := range pairs {
		var verdicts []VerdictEvent
		for _, c := range changes {
			if c.Endpoint == p.endpoint {
				verdicts = append(verdicts, c)
			}
		}
		out = append(out, disagreements(per[p], verdicts, atStart[p.endpoint], end)...)
	}
	slices.SortStableFunc(out, func(a, b Outvote) int { return cmpFloat(a.From, b.From) })
	return out
}

// disagreements walks one node's view of one endpoint against that
// endpoint's verdicts (both sorted by time), taking every event of one
// instant before judging it.
func disagreements(views []ViewEvent, verdicts []VerdictEvent, agreed string, end float64) []Outvote {
	var out []Outvote
	saw := "unknown"
	var open *Outvote
	closeAt := func(t float64) {
		if open != nil && t-open.From >= OutvotedAfter {
			open.To = t
			out = append(out, *open)
		}
		open = nil
	}
	i, j := 0, 0
	for i < len(views) || j < len(verdicts) {
		t := nextTime(views, verdicts, i, j)
		if t > end {
			break
		}
		for ; i < len(views) && views[i].At == t; i++ {
			saw = views[i].Health
		}
		for ; j < len(verdicts) && verdicts[j].At == t; j++ {
			agreed = verdicts[j].Health
		}
		if open != nil && open.Saw == saw && open.Agreed == agreed {
			continue
		}
		closeAt(t)
		if known(saw) && known(agreed) && saw != agreed {
			open = &Outvote{Vantage: views[0].Vantage, Endpoint: views[0].Endpoint, Saw: saw, Agreed: agreed, From: t}
		}
	}
	closeAt(end)
	return out
}

// nextTime is the earlier of the next view and the next verdict.
func nextTime(views []ViewEvent, verdicts []VerdictEvent, i, j int) float64 {
	switch {
	case i == len(views):
		return verdicts[j].At
	case j == len(verdicts):
		return views[i].At
	}
	return min(views[i].At, verdicts[j].At)
}

func known(h string) bool { return h == "up" || h == "down" }

// OutvoteGroup is the outvotes of one node that began together, as one
// event: a node cut off from its network sees every endpoint down at once.
type OutvoteGroup struct {
	Vantage, Saw, Agreed string
	Endpoints            []string
	From, To             float64 // the first start and the last end
}

// GroupOutvotes groups outvotes (sorted by start, as Compute gives them)
// of the same node, view and verdict that start within OutvotedAfter of
// the group's first.
func GroupOutvotes(outvotes []Outvote) []OutvoteGroup {
	var out []OutvoteGroup
	for _, o := range outvotes {
		i := slices.IndexFunc(out, func(g OutvoteGroup) bool {
			return g.Vantage == o.Vantage && g.Saw == o.Saw && g.Agreed == o.Agreed && o.From-g.From < OutvotedAfter
		})
		if i < 0 {
			out = append(out, OutvoteGroup{Vantage: o.Vantage, Saw: o.Saw, Agreed: o.Agreed, From: o.From, To: o.To})
			i = len(out) - 1
		}
		out[i].To = max(out[i].To, o.To)
		if !slices.Contains(out[i].Endpoints, o.Endpoint) {
			out[i].Endpoints = append(out[i].Endpoints, o.Endpoint)
		}
	}
	return out
}

// Sentence says what the group was, in words: "gcp-usc1 was outvoted: it
// saw use1, usw2 down while the agreed verdict was up, for 13.9 s".
func (g OutvoteGroup) Sentence() string {
	return fmt.Sprintf("%s was outvoted: it saw %s %s while the agreed verdict was %s, for %.1f s",
		g.Vantage, strings.Join(g.Endpoints, ", "), g.Saw, g.Agreed, g.To-g.From)
}

// Sentence says what the change was, in words.
func (c LeaderChange) Sentence() string {
	from := "no known leader"
	if c.From != "" {
		from = c.From
	}
	return fmt.Sprintf("%s took over as leader from %s (term %d)", c.To, from, c.Term)
}

// EventMarkers are the timeline markers of a result's leader changes,
// outvoted nodes (one per OutvoteGroup), answered address sets and target
// resolution changes, in time order.
func EventMarkers(r Result) []Marker {
	var out []Marker
	for _, c := range r.LeaderChanges {
		out = append(out, Marker{T: c.T, Kind: "leader", Label: "leader " + c.To, Detail: c.Sentence()})
	}
	for _, g := range GroupOutvotes(r.Outvoted) {
		out = append(out, Marker{T: g.From, Kind: "outvoted", Label: g.Vantage + " outvoted", Detail: g.Sentence()})
	}
	out = append(out, answerMarkers(r.Answered)...)
	out = append(out, resolutionMarkers(r.Resolutions)...)
	slices.SortStableFunc(out, func(a, b Marker) int { return cmpFloat(a.T, b.T) })
	return out
}

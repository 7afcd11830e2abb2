package measure

import "slices"

// verdictChanges sorts the events by time and drops those that repeat their
// endpoint's previous health: only changes count, whatever the caller saw.
func verdictChanges(events []VerdictEvent) []VerdictEvent {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b VerdictEvent) int { return cmpFloat(a.At, b.At) })
	last := map[string]string{}
	out := sorted[:0]
	for _, e := range sorted {
		if prev, seen := last[e.Endpoint]; seen && prev == e.Health {
			continue
		}
		last[e.Endpoint] = e.Health
		out = append(out, e)
	}
	return out
}

// detection is the first change to down of an affected endpoint at or after
// the fault, from the fault; -1 if none.
func detection(changes []VerdictEvent, affected []string, faultAt float64) float64 {
	for _, e := range changes {
		if e.At >= faultAt && e.Health == "down" && slices.Contains(affected, e.Endpoint) {
			return e.At - faultAt
		}
	}
	return -1
}

// falseFailovers counts changes to down of endpoints the fault did not touch.
func falseFailovers(changes []VerdictEvent, affected []string) int {
	n := 0
	for _, e := range changes {
		if e.At >= 0 && e.Health == "down" && !slices.Contains(affected, e.Endpoint) {
			n++
		}
	}
	return n
}

// flaps counts, per endpoint, the changes beyond the first in the fault
// window and beyond the first in the heal window.
func flaps(changes []VerdictEvent, faultAt, healAt, end float64) int {
	faultEnd := end
	if healAt >= 0 {
		faultEnd = healAt
	}
	n := extraChanges(changes, faultAt, faultEnd, healAt < 0)
	if healAt >= 0 {
		n += extraChanges(changes, healAt, end, true)
	}
	return n
}

// extraChanges counts per endpoint the changes beyond the first in [from, to)
// ([from, to] when closed).
func extraChanges(changes []VerdictEvent, from, to float64, closed bool) int {
	perEndpoint := map[string]int{}
	for _, e := range changes {
		if e.At >= from && (e.At < to || closed && e.At == to) {
			perEndpoint[e.Endpoint]++
		}
	}
	n := 0
	for _, c := range perEndpoint {
		n += c - 1
	}
	return n
}

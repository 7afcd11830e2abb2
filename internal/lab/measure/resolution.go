package measure

import (
	"slices"
	"strings"
)

// ResolutionEvent is what one node's resolver held for one target hostname,
// as the caller saw it change; the first event of a node and target is its
// state at the start.
type ResolutionEvent struct {
	At     float64 `json:"t"` // seconds from the scenario's start
	Node   string  `json:"node"`
	Target string  `json:"target"`
	State  string  `json:"state"` // fresh, stale, empty or unresolved (wire.Resolution's)
	Error  string  `json:"error,omitempty"`
}

// FailedPoll is a poll of one nameserver that got no answer.
type FailedPoll struct {
	At         float64 // seconds from the scenario's start
	Nameserver string
	Kind       string // shiftwatch's name for it: SERVFAIL, NXDOMAIN, timeout, ...
}

// AnswerSet is one set of addresses the nameservers answered.
type AnswerSet struct {
	// Area is the client area it was answered to; "" for no area.
	Area  string   `json:"area,omitempty"`
	Addrs []string `json:"addrs"`
	// Names says whose each address is (a target hostname, or an
	// endpoint's name), in Addrs' order; "" when the lab does not know it.
	Names []string `json:"names"`
	From  float64  `json:"from_s"` // the first sample answering it, seconds from the start
	To    float64  `json:"to_s"`   // the last
}

// resolutionChanges sorts the events by time and keeps the changes: per
// node and target, an event whose state differs from the one before it
// (the first one is the start, not a change).
func resolutionChanges(events []ResolutionEvent) []ResolutionEvent {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b ResolutionEvent) int { return cmpFloat(a.At, b.At) })
	last := map[[2]string]string{}
	out := []ResolutionEvent{}
	for _, e := range sorted {
		k := [2]string{e.Node, e.Target}
		if prev, seen := last[k]; seen && prev != e.State {
			out = append(out, e)
		}
		last[k] = e.State
	}
	return out
}

// staleAfter is the first turn of any target to stale at or after the
// fault, from the fault; -1 if none.
func staleAfter(events []ResolutionEvent, faultAt float64) float64 {
	for _, e := range resolutionChanges(events) {
		if e.At >= faultAt && e.State == "stale" {
			return e.At - faultAt
		}
	}
	return -1
}

// freshAgain is the time from the heal by which every node and target that
// was not fresh at the heal has turned fresh; 0 when all were, -1 without
// a heal or when one never does.
func freshAgain(events []ResolutionEvent, healAt float64) float64 {
	if healAt < 0 {
		return -1
	}
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b ResolutionEvent) int { return cmpFloat(a.At, b.At) })
	atHeal := map[[2]string]string{}
	back := map[[2]string]float64{}
	for _, e := range sorted {
		k := [2]string{e.Node, e.Target}
		if e.At <= healAt {
			atHeal[k] = e.State
			continue
		}
		if _, done := back[k]; !done && e.State == "fresh" {
			back[k] = e.At
		}
	}
	latest := 0.0
	for k, state := range atHeal {
		if state == "fresh" {
			continue
		}
		at, ok := back[k]
		if !ok {
			return -1
		}
		latest = max(latest, at-healAt)
	}
	return latest
}

// offAnswers counts the polls from the fault to the end that answered
// anything but exactly keep: other addresses, none, or an error rcode. A
// poll that got no reply in time is no evidence either way (a busy
// machine), as for steering. It returns -1, 0 without keep.
func offAnswers(answers []AnswerSample, failed []FailedPoll, keep []string, faultAt float64) (off, polls int) {
	if len(keep) == 0 {
		return -1, 0
	}
	for _, a := range answers {
		if a.At < faultAt {
			continue
		}
		polls++
		if !sameSet(a.Addrs, keep) {
			off++
		}
	}
	for _, f := range failed {
		if f.At >= faultAt && f.Kind != "timeout" {
			polls++
			off++
		}
	}
	return off, polls
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// answerSets lists every distinct set of addresses answered to each area,
// in the order first seen, with the names names gives its addresses.
// answers are sorted by time.
func answerSets(answers []AnswerSample, names map[string]string) []AnswerSet {
	out := []AnswerSet{}
	index := map[string]int{}
	for _, a := range answers {
		addrs := slices.Clone(a.Addrs)
		slices.Sort(addrs)
		key := a.Area + "|" + strings.Join(addrs, " ")
		i, seen := index[key]
		if !seen {
			set := AnswerSet{Area: a.Area, Addrs: addrs, Names: make([]string, len(addrs)), From: a.At}
			for j, addr := range addrs {
				set.Names[j] = names[addr]
			}
			i, index[key] = len(out), len(out)
			out = append(out, set)
		}
		out[i].To = a.At
	}
	return out
}

// Label is the set in words: "127.77.1.5 (shop.cdn-b.test)", "none".
func (s AnswerSet) Label() string {
	if len(s.Addrs) == 0 {
		return "no address"
	}
	parts := make([]string, len(s.Addrs))
	for i, a := range s.Addrs {
		parts[i] = a
		if s.Names[i] != "" {
			parts[i] += " (" + s.Names[i] + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// resolutionMarkers groups the resolution changes: one marker per target
// turning to one state on one or more nodes within groupWithin of each other.
func resolutionMarkers(changes []ResolutionEvent) []Marker {
	const groupWithin = 3.0
	var out []Marker
	for i := 0; i < len(changes); {
		first := changes[i]
		nodes := []string{first.Node}
		j := i + 1
		for ; j < len(changes); j++ {
			c := changes[j]
			if c.Target != first.Target || c.State != first.State || c.At-first.At > groupWithin {
				break
			}
			if !slices.Contains(nodes, c.Node) {
				nodes = append(nodes, c.Node)
			}
		}
		target := strings.TrimSuffix(first.Target, ".")
		detail := target + " turned " + first.State + " on " + strings.Join(nodes, ", ") + ": " + stateMeans(first.State)
		if first.Error != "" && first.State != "fresh" {
			detail += " (" + first.Error + ")"
		}
		out = append(out, Marker{T: first.At, Kind: "resolution", Label: target + " " + first.State, Detail: detail})
		i = j
	}
	return out
}

func stateMeans(state string) string {
	switch state {
	case "fresh":
		return "resolved again within its TTL"
	case "stale":
		return "its DNS fails, so its last good addresses are still answered and probed"
	case "empty":
		return "its DNS says it has no addresses"
	}
	return "no address to answer or probe"
}

// answerMarkers mark each set of addresses first answered (to each area).
func answerMarkers(sets []AnswerSet) []Marker {
	var out []Marker
	for _, s := range sets {
		label := "answer " + strings.Join(s.Addrs, ", ")
		if names := slices.DeleteFunc(slices.Clone(s.Names), func(n string) bool { return n == "" }); len(names) == len(s.Addrs) && len(names) > 0 {
			label = "answer " + strings.Join(names, ", ")
		}
		detail := "a nameserver answered " + s.Label()
		if s.Area != "" {
			label += " to " + s.Area
			detail += " to " + s.Area + " clients"
		}
		out = append(out, Marker{T: s.From, Kind: "answer", Label: label, Detail: detail})
	}
	return out
}

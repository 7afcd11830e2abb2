package chaos

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// segment is one answer standing for its node over [from, to).
type segment struct {
	from, to time.Time
	answer   string // the sorted addresses joined with commas
}

// timelines turns each node's answers into segments. An answer holds from
// when it was asked until the node's next answer: a failed query in between
// does not end it, since a node's answer changes only when it applies new
// state (the failure itself is failed_live's business). It holds only while
// the node is in contact with the cluster, and no longer than MaxGap past
// the node's last query, so a gap in the recording holds nothing.
func timelines(h History) map[string][]segment {
	byNode := map[string][]Query{}
	for _, q := range h.Queries {
		byNode[q.Node] = append(byNode[q.Node], q)
	}
	samples := samplesByNode(h)
	out := map[string][]segment{}
	for node, qs := range byNode {
		slices.SortStableFunc(qs, func(a, b Query) int { return a.Sent.Compare(b.Sent) })
		for i, q := range qs {
			if q.Err != "" || !inContact(h, samples, node, q.Sent) {
				continue
			}
			to := holdsUntil(qs[i:], h.MaxGap)
			to = contactEnds(h, node, q.Sent, to)
			out[node] = append(out[node], segment{from: q.Sent, to: to, answer: answerKey(q.Addrs)})
		}
	}
	return out
}

// holdsUntil is when the answer of qs[0] stops standing: the next answer,
// or MaxGap after the last query before a longer silence.
func holdsUntil(qs []Query, maxGap time.Duration) time.Time {
	for i := 1; i < len(qs); i++ {
		if qs[i].Sent.Sub(qs[i-1].Sent) > maxGap {
			return qs[i-1].Sent.Add(maxGap)
		}
		if qs[i].Err == "" {
			return qs[i].Sent
		}
	}
	return qs[len(qs)-1].Sent.Add(maxGap)
}

// contactEnds cuts [from, to) where a fault takes node out of contact.
func contactEnds(h History, node string, from, to time.Time) time.Time {
	for _, f := range h.Faults {
		if f.Node == node && f.Kind != DiskFull && f.Start.After(from) && f.Start.Before(to) {
			to = f.Start
		}
	}
	return to
}

func answerKey(addrs []string) string {
	s := slices.Clone(addrs)
	slices.Sort(s)
	return strings.Join(s, ",")
}

// at returns the answer standing for a node at t, if any.
func at(segs []segment, t time.Time) (string, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].from.After(t) }) - 1
	if i >= 0 && t.Before(segs[i].to) {
		return segs[i].answer, true
	}
	return "", false
}

// moment is the cluster's state over one stretch between change points.
type moment int

const (
	unknown moment = iota // fewer than two nodes in contact with an answer
	agree
	differ
)

// splitWindows finds the stretches where nodes in contact answered
// differently. A window runs from the first moment of disagreement to the
// end of the last one before the nodes were seen agreeing again; stretches
// where too little is known do not end it, since no agreement was seen.
func splitWindows(h History) []Window {
	lines := timelines(h)
	points := changePoints(lines)
	var out []Window
	var open *Window
	for i := 0; i+1 < len(points); i++ {
		from, to := points[i], points[i+1]
		state, detail := stateAt(h.Nodes, lines, from.Add(to.Sub(from)/2))
		switch {
		case state == differ && open == nil:
			open = &Window{Start: from, End: to, Detail: detail}
		case state == differ:
			open.End = to
		case state == agree && open != nil:
			out = append(out, *open)
			open = nil
		}
	}
	if open != nil {
		out = append(out, *open)
	}
	return out
}

func changePoints(lines map[string][]segment) []time.Time {
	var points []time.Time
	for _, segs := range lines {
		for _, s := range segs {
			points = append(points, s.from, s.to)
		}
	}
	slices.SortFunc(points, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(points, time.Time.Equal)
}

func stateAt(nodes []string, lines map[string][]segment, t time.Time) (moment, string) {
	var seen []string
	distinct := map[string]bool{}
	for _, node := range nodes {
		if answer, ok := at(lines[node], t); ok {
			seen = append(seen, node+"="+answer)
			distinct[answer] = true
		}
	}
	switch {
	case len(distinct) > 1:
		return differ, strings.Join(seen, " ")
	case len(seen) > 1:
		return agree, ""
	}
	return unknown, ""
}

// downAnswers lists answers that held an endpoint which the answering
// node's agreed state and its own latest probe both said was down: in the
// node's last /healthz reply at least RebuildGrace before the query (the
// answers had been rebuilt since) and in its first reply after the answer
// came (the state had not turned up meanwhile; /healthz is read every
// 200 ms, so the last reply before a query can be older than a change).
func downAnswers(h History) []Violation {
	byNode := samplesByNode(h)
	var out []Violation
	for _, q := range h.Queries {
		for _, addr := range q.Addrs {
			endpoint, ok := h.Addrs[addr]
			if !ok {
				continue
			}
			before, ok1 := sampleBefore(byNode[q.Node], q.Sent.Add(-h.RebuildGrace))
			after, ok2 := sampleAfter(byNode[q.Node], q.Got)
			if ok1 && ok2 && seenDown(before, endpoint) && seenDown(after, endpoint) {
				out = append(out, Violation{At: q.Sent, Node: q.Node, Detail: fmt.Sprintf(
					"answered %s (%s) although its /healthz at %s (before) and %s (after) said health down and its own probe %q%s%s",
					addr, endpoint, before.At.Format("15:04:05.000"), after.At.Format("15:04:05.000"),
					probeOf(after, endpoint), restartedSince(h, q.Node, before.At, q.Sent), faultsAt(h, q.Node, q.Sent))})
			}
		}
	}
	return out
}

// sampleAfter returns the first sample that arrived at or after t.
func sampleAfter(ss []Sample, t time.Time) (Sample, bool) {
	i := sort.Search(len(ss), func(i int) bool { return !ss[i].At.Before(t) })
	if i == len(ss) {
		return Sample{}, false
	}
	return ss[i], true
}

// sampleBefore returns the last sample that arrived at or before t.
func sampleBefore(ss []Sample, t time.Time) (Sample, bool) {
	i := sort.Search(len(ss), func(i int) bool { return ss[i].At.After(t) }) - 1
	if i < 0 {
		return Sample{}, false
	}
	return ss[i], true
}

func seenDown(s Sample, endpoint string) bool {
	for _, e := range s.Endpoints {
		if e.Name == endpoint {
			return e.Health == "down" && e.Probe != "" && e.Probe != "ok"
		}
	}
	return false
}

func probeOf(s Sample, endpoint string) string {
	for _, e := range s.Endpoints {
		if e.Name == endpoint {
			return e.Probe
		}
	}
	return ""
}

// restartedSince notes when node was killed and restarted between its
// last report and a query: the answer came from a new process that had
// not reported yet.
func restartedSince(h History, node string, from, to time.Time) string {
	for _, f := range h.Faults {
		if f.Node == node && f.Kind == Killed && f.Start.After(from) && f.Start.Before(to) {
			return fmt.Sprintf(" (that report came from the process killed %s before the query; the answer from its restarted process, before it reported)",
				to.Sub(f.Start).Round(time.Millisecond))
		}
	}
	return ""
}

package measure

import (
	"slices"
	"strings"
)

// AreaInput is one client area's devices: their buckets alone.
type AreaInput struct {
	Name    string
	Seconds []Second
}

// AreaResult is what one client area saw (see the package doc for each
// figure).
type AreaResult struct {
	Area string `json:"area"`
	// Before: the endpoints (their names, else addresses) answered to the
	// area by the last poll before the fault; After: by the last poll.
	Before []string `json:"before"`
	After  []string `json:"after"`
	// MovedS: fault → every nameserver answers the area something other
	// than it did before the fault; -1 if one never did.
	MovedS float64 `json:"moved_s"`
	// Moves: the most answer changes one nameserver made for the area from
	// the fault on (1: it moved once; 0: it stayed).
	Moves int `json:"moves"`
	// FalseFailovers: answer changes away from an answer the fault did not
	// touch, over every nameserver.
	FalseFailovers int `json:"false_failovers"`
	// The area's devices, as Result's figures of the same names.
	ClientRecoveryS       float64 `json:"client_recovery_s"`
	ClientErrors          int     `json:"client_errors"`
	ClientRequests        int     `json:"client_requests"`
	ClientSuccessPct      float64 `json:"client_success_pct"` // from the fault on, rounded down
	ClientSuccessPctAfter float64 `json:"client_success_pct_after"`
}

// Stayed reports whether the area's answers never moved.
func (a AreaResult) Stayed() bool { return a.Moves == 0 && slices.Equal(a.Before, a.After) }

// areaResults measures each area of in from its own polls (answers, sorted
// by time) and buckets.
func areaResults(in Input, answers []AnswerSample) []AreaResult {
	var out []AreaResult
	for _, area := range in.Areas {
		var mine []AnswerSample
		for _, a := range answers {
			if a.Area == area.Name {
				mine = append(mine, a)
			}
		}
		r := AreaResult{
			Area:                  area.Name,
			ClientRecoveryS:       recovery(area.Seconds, in.FaultAt, in.windowEnd()),
			ClientErrors:          clientErrors(area.Seconds, in.FaultAt),
			ClientRequests:        clientRequests(area.Seconds, in.FaultAt),
			ClientSuccessPctAfter: successAfter(area.Seconds, in.FaultAt+in.TTL+5, in.windowEnd()),
		}
		r.ClientSuccessPct = pctDown(r.ClientRequests-r.ClientErrors, r.ClientRequests)
		r.Before, r.After = beforeAndAfter(mine, in.FaultAt, in.AddrNames)
		r.MovedS, r.Moves, r.FalseFailovers = moves(mine, in.AffectedAddrs, in.FaultAt)
		out = append(out, r)
	}
	return out
}

// beforeAndAfter name the sets answered by the last poll before faultAt
// and by the last poll of all.
func beforeAndAfter(answers []AnswerSample, faultAt float64, names map[string]string) (before, after []string) {
	before, after = []string{}, []string{}
	for _, a := range answers {
		if a.At < faultAt {
			before = named(a.Addrs, names)
		}
		after = named(a.Addrs, names)
	}
	return before, after
}

// named sorts addrs by the names names gives them (an address without one
// stands for itself).
func named(addrs []string, names map[string]string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a
		if n := names[a]; n != "" {
			out[i] = n
		}
	}
	slices.Sort(out)
	return out
}

// moves follows each nameserver's answers (sorted by time): when it first
// answered something else than before the fault (movedS: the latest of
// those, -1 if one never did), the most changes one made from the fault on,
// and the changes away from an answer without an affected address.
func moves(answers []AnswerSample, affected []string, faultAt float64) (movedS float64, most, falseFailovers int) {
	type follow struct {
		last    string // the set last answered, sorted and joined
		lastBad bool   // it held an affected address
		changes int
		movedAt float64 // -1 until it moves after the fault
	}
	byNS := map[string]*follow{}
	var order []string
	for _, a := range answers {
		set := slices.Clone(a.Addrs)
		slices.Sort(set)
		key := strings.Join(set, " ")
		f := byNS[a.Nameserver]
		if f == nil {
			f = &follow{last: key, lastBad: containsAny(a.Addrs, affected), movedAt: -1}
			byNS[a.Nameserver] = f
			order = append(order, a.Nameserver)
		}
		if key != f.last && a.At >= faultAt {
			f.changes++
			if !f.lastBad {
				falseFailovers++
			}
			if f.movedAt < 0 {
				f.movedAt = a.At
			}
		}
		f.last, f.lastBad = key, containsAny(a.Addrs, affected)
	}
	movedS = -1
	never := false
	for _, ns := range order {
		f := byNS[ns]
		most = max(most, f.changes)
		if f.movedAt < 0 {
			never = true
			continue
		}
		movedS = max(movedS, f.movedAt-faultAt)
	}
	if never {
		movedS = -1
	}
	return movedS, most, falseFailovers
}

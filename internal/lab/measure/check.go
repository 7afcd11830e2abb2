package measure

import (
	"fmt"
	"math"
	"strconv"
)

// Bounds are what a scenario must meet. A zero DetectionS, SteeringS or
// SuccessPctAfter is not checked (false-alarm has nothing to detect);
// MaxFlaps is always checked, so its zero value means no flapping.
type Bounds struct {
	DetectionS          float64 // detection must happen, within this many seconds
	SteeringS           float64 // steering must happen, within this many seconds
	SuccessPctAfter     float64 // minimum client success after TTL + 5 s, percent
	AllowFalseFailovers bool    // false: any false failover fails the scenario
	MaxFlaps            int
	StaleS              float64 // a node must report a stale resolution, within this many seconds of the fault
	FreshS              float64 // resolution must be fresh everywhere again, within this many seconds of the heal
	// KeepAnswers: every poll from the fault on must answer exactly the
	// kept addresses (Result.OffAnswers 0 of at least one poll).
	KeepAnswers bool
}

// Check sets r.Pass and r.Failures from b, replacing any earlier verdict.
func Check(r *Result, b Bounds) {
	var failures []string
	within := func(what string, got, bound float64) {
		switch {
		case bound <= 0:
		case got < 0:
			failures = append(failures, fmt.Sprintf("no %s (bound %s s)", what, num(bound)))
		case got > bound:
			failures = append(failures, fmt.Sprintf("%s %s s > %s s", what, past(got, bound), num(bound)))
		}
	}
	within("detection", r.DetectionS, b.DetectionS)
	within("steering", r.SteeringS, b.SteeringS)
	if b.SuccessPctAfter > 0 && r.ClientSuccessPctAfter < b.SuccessPctAfter {
		failures = append(failures, fmt.Sprintf("client success after %s%% < %s%%",
			below(r.ClientSuccessPctAfter, b.SuccessPctAfter), num(b.SuccessPctAfter)))
	}
	if !b.AllowFalseFailovers && r.FalseFailovers > 0 {
		failures = append(failures, fmt.Sprintf("%d false failover%s", r.FalseFailovers, plural(r.FalseFailovers)))
	}
	within("stale resolution", r.StaleS, b.StaleS)
	within("return to fresh resolution", r.FreshS, b.FreshS)
	switch {
	case !b.KeepAnswers:
	case r.KeptPolls == 0:
		failures = append(failures, "no answer polled from the fault on")
	case r.OffAnswers != 0:
		failures = append(failures, fmt.Sprintf("%d of %d answers off the kept addresses", r.OffAnswers, r.KeptPolls))
	}
	if r.Flaps > b.MaxFlaps {
		failures = append(failures, fmt.Sprintf("%d flap%s > %d", r.Flaps, plural(r.Flaps), b.MaxFlaps))
	}
	r.Failures = failures
	r.Pass = len(failures) == 0
}

// num prints a figure with at most two decimals and no trailing zeros.
func num(x float64) string { return numPrec(x, 2) }

// past prints got, which is above bound, with as many decimals as it takes
// not to look equal to bound (4.0004 s, not 4 s > 4 s).
func past(got, bound float64) string {
	p := 2
	for ; p < 9 && rounded(got, p) <= bound; p++ {
	}
	return numPrec(got, p)
}

// below is past for a figure under its bound.
func below(got, bound float64) string {
	p := 2
	for ; p < 9 && rounded(got, p) >= bound; p++ {
	}
	return numPrec(got, p)
}

func rounded(x float64, decimals int) float64 {
	scale := math.Pow(10, float64(decimals))
	return math.Round(x*scale) / scale
}

func numPrec(x float64, decimals int) string {
	return strconv.FormatFloat(rounded(x, decimals), 'f', -1, 64)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

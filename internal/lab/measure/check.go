package measure

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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
	// Areas are what each client area must see (geo-region-outage).
	Areas []AreaBounds
	// ProxiedSuccessPct is the least success, from the fault on, of the
	// devices calling through the nodes' HTTP proxies (100: not one
	// error); 0 is not checked.
	ProxiedSuccessPct float64
	// Primary: the scenario's Result.Primary must show exactly one
	// promotion, no violation of exactly one primary, the name moved to
	// the promoted server and kept there, and after a heal the former
	// primary demoted (checkPrimary).
	Primary bool
}

// AreaBounds are what one client area must see. The scenario's
// SteeringS and SuccessPctAfter bound its move and its clients too.
type AreaBounds struct {
	Area string
	// From are the endpoints the area must be answered before the fault,
	// To those it must be answered at the end (names, as
	// AreaResult.Before). To equal to From: the area must never move, and
	// its clients' success from the fault on must stay at SuccessPctAfter.
	From, To []string
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
	for _, ab := range b.Areas {
		failures = append(failures, checkArea(r.Areas, ab, b)...)
	}
	failures = append(failures, checkProxied(r.Proxied, b.ProxiedSuccessPct)...)
	if b.Primary {
		failures = append(failures, checkPrimary(r.Primary, r.HealAt >= 0)...)
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

// checkArea holds one area's figures to its bounds.
func checkArea(results []AreaResult, ab AreaBounds, b Bounds) []string {
	i := slices.IndexFunc(results, func(a AreaResult) bool { return a.Area == ab.Area })
	if i < 0 {
		return []string{ab.Area + ": no figures (no devices in this area)"}
	}
	a := results[i]
	var failures []string
	fail := func(format string, args ...any) {
		failures = append(failures, ab.Area+": "+fmt.Sprintf(format, args...))
	}
	if !slices.Equal(a.Before, ab.From) {
		fail("answered %s before the fault, want %s", list(a.Before), list(ab.From))
	}
	if !slices.Equal(a.After, ab.To) {
		fail("answered %s at the end, want %s", list(a.After), list(ab.To))
	}
	stay := slices.Equal(ab.From, ab.To)
	switch {
	case stay && a.Moves > 0:
		fail("moved %d time%s, want never", a.Moves, plural(a.Moves))
	case stay && b.SuccessPctAfter > 0 && a.ClientSuccessPct < b.SuccessPctAfter:
		fail("client success from the fault on %s%% < %s%%", below(a.ClientSuccessPct, b.SuccessPctAfter), num(b.SuccessPctAfter))
	case stay:
	case a.MovedS < 0:
		fail("no move (bound %s s)", num(b.SteeringS))
	case b.SteeringS > 0 && a.MovedS > b.SteeringS:
		fail("moved after %s s > %s s", past(a.MovedS, b.SteeringS), num(b.SteeringS))
	case a.Moves > 1:
		fail("moved %d times, want once", a.Moves)
	}
	if a.FalseFailovers > 0 {
		fail("%d false failover%s", a.FalseFailovers, plural(a.FalseFailovers))
	}
	if b.SuccessPctAfter > 0 && a.ClientSuccessPctAfter < b.SuccessPctAfter {
		fail("client success after %s%% < %s%%", below(a.ClientSuccessPctAfter, b.SuccessPctAfter), num(b.SuccessPctAfter))
	}
	return failures
}

// list writes endpoint names for a failure: "usc1, usw2", "none".
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

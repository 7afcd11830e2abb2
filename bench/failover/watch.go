//go:build linux

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"outlast/internal/shiftwatch"
)

// watch asks every server once per period, all at the same moment, until
// each has shifted to an answer want accepts, or the bound passes; see
// shiftwatch for what a shift and its time mean. Times count from the call
// (the event).
func watch(o options, want shiftwatch.Predicate) []tally {
	r, _ := shiftwatch.Watch(context.Background(), shiftwatch.Options{
		Nameservers: o.addrs(), Query: shiftwatch.Query{Name: o.qname, Timeout: o.timeout},
		Rule: shiftwatch.Rule{Want: want}, Interval: o.every, Deadline: o.bound,
	})
	out := make([]tally, len(r.Servers))
	for i, s := range r.Servers {
		out[i] = tally{at: s.At, errors: s.Failed(), flaps: s.Flaps}
	}
	return out
}

// report prints the table and the summary line. A transition never seen
// within the bound counts as the bound in the mean and max, and is marked.
func report(o options, drops, backs [][]tally) {
	fmt.Printf("\n%-14s %-16s %10s %9s %12s %10s %7s %6s  %s\n", "server", "address",
		"drop_mean", "drop_max", "return_mean", "return_max", "errors", "flaps", "per run: drop/return s")
	var means, maxes []string
	for i, t := range o.servers {
		d, r := column(drops, i, o.bound), column(backs, i, o.bound)
		fmt.Printf("%-14s %-16s %10s %9s %12s %10s %7d %6d  %s\n", t.name, t.addr, d.mean, d.max, r.mean, r.max,
			d.errors+r.errors, d.flaps+r.flaps, perRun(d.each, r.each))
		means = append(means, fmt.Sprintf("drop_%s_s=%s", t.name, d.kv(d.mean)), fmt.Sprintf("return_%s_s=%s", t.name, r.kv(r.mean)))
		maxes = append(maxes, fmt.Sprintf("drop_max_%s_s=%s", t.name, d.kv(d.max)), fmt.Sprintf("return_max_%s_s=%s", t.name, r.kv(r.max)))
	}
	fmt.Printf("(drop: from the kill to the first answer without the killed backend; return: from it accepting\n"+
		" connections again to the first answer with it; asked every %s; errors: polls unanswered within %s or\n"+
		" answered with an error code (never a drop or a return);"+
		" flaps: answers back in the old state after the change was seen; '>' a transition not seen within %s)\n\n",
		o.every, o.timeout, o.bound)
	fmt.Println(strings.Join(append(append(sortKV(means), sortKV(maxes)...), fmt.Sprintf("runs=%d", len(drops))), " "))
}

// summary is one server's figures for one kind of transition over the runs.
type summary struct {
	mean, max     string
	each          []string
	errors, flaps int
	missed        bool // some run never saw the transition
}

// kv is a figure for the summary line: "none" when a run missed it.
func (s summary) kv(v string) string {
	if s.missed {
		return "none"
	}
	return v
}

func column(runs [][]tally, i int, bound time.Duration) summary {
	var s summary
	var sum, max time.Duration
	missed := false
	for _, r := range runs {
		t := r[i]
		s.errors += t.errors
		s.flaps += t.flaps
		at := t.at
		if at < 0 {
			at, missed = bound, true
		}
		sum += at
		max = maxDur(max, at)
		s.each = append(s.each, secs(t.at, bound))
	}
	mark := ""
	if missed {
		mark, s.missed = ">", true
	}
	s.mean = fmt.Sprintf("%s%.1f", mark, (sum / time.Duration(len(runs))).Seconds())
	s.max = fmt.Sprintf("%s%.1f", mark, max.Seconds())
	return s
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

func perRun(drop, back []string) string {
	var parts []string
	for i := range drop {
		parts = append(parts, drop[i]+"/"+back[i])
	}
	return strings.Join(parts, " ")
}

// sortKV puts every drop_ pair before every return_ pair, in server order.
func sortKV(kv []string) []string {
	var drops, backs []string
	for i, s := range kv {
		if i%2 == 0 {
			drops = append(drops, s)
		} else {
			backs = append(backs, s)
		}
	}
	return append(drops, backs...)
}

// secs formats a transition time, or ">bound" when it was never seen.
func secs(d, bound time.Duration) string {
	if d < 0 {
		return fmt.Sprintf(">%.0f", bound.Seconds())
	}
	return fmt.Sprintf("%.1f", d.Seconds())
}

package measure

import (
	"fmt"
	"slices"
	"strings"
)

// PrimaryResult is what primary-region-outage measured of its database
// service (policy primary): how the one primary moved, and the checker's
// count of the moments that broke "exactly one primary". Durations are
// seconds, -1 when the thing did not happen.
type PrimaryResult struct {
	From string `json:"from"` // the primary at the fault
	To   string `json:"to"`   // the server promoted during the scenario ("" if none)
	// Epoch is the agreed epoch at the end of the scenario.
	Epoch uint64 `json:"epoch"`
	// PromotedS: fault → the replica became primary (its on_promote reached it).
	PromotedS float64 `json:"promoted_s"`
	// MovedS: fault → every nameserver answers the new primary, for good.
	MovedS float64 `json:"moved_s"`
	// DemotedS: heal → the former primary became a replica (its on_demote
	// reached it); -1 without a heal or if it never did.
	DemotedS float64 `json:"demoted_s"`
	// Promotions: replica → primary changes during the scenario (want 1).
	Promotions int `json:"promotions"`
	// ReplicaAnswers: answers naming a server that was a replica both just
	// before and just after the query; MultiAnswers: answers naming more
	// than one server; TwoPrimaries: samples with two primaries that is
	// not the unfenced former primary (UnfencedS). Violations is their sum.
	ReplicaAnswers int `json:"replica_answers"`
	MultiAnswers   int `json:"multi_answers"`
	TwoPrimaries   int `json:"two_primaries"`
	Violations     int `json:"violations"`
	// FrozenAnswers: answers naming the former primary while it did not
	// answer (the detection and promotion window; no violation).
	FrozenAnswers int `json:"frozen_answers"`
	// UnfencedS: time two servers were primary because the former had not
	// been demoted yet; UnfencedReachableS the part of it in which the
	// former answered again (the region was back, on_demote not rerun yet).
	UnfencedS          float64 `json:"unfenced_s"`
	UnfencedReachableS float64 `json:"unfenced_reachable_s"`
	// Final are the servers the nameservers answered last.
	Final []string `json:"final"`
	// Samples are the checker's rounds, Answers the answers they held.
	Samples int `json:"samples"`
	Answers int `json:"answers"`
}

// ServerRole is one role server as a checker read it.
type ServerRole struct {
	Name   string
	Role   string // "primary" or "replica"
	Epoch  uint64 // the newest epoch a hook call brought it
	Frozen bool   // it answers nothing (its region is down)
}

// NodeAnswer is one nameserver's answer in a round: the servers it named.
type NodeAnswer struct {
	Node    string
	Servers []string
}

// PrimaryRound is one checker round: the roles read, then every
// nameserver's answer, then the roles read again.
type PrimaryRound struct {
	At            float64 // seconds from the scenario's start (the second read)
	Before, After []ServerRole
	Answers       []NodeAnswer
}

// RoleEvent is one role change a server recorded.
type RoleEvent struct {
	At     float64 // seconds from the scenario's start
	Server string
	Role   string
	Epoch  uint64
}

// PrimaryInput is the raw record of a primary scenario.
type PrimaryInput struct {
	FaultAt, HealAt float64 // HealAt < 0: no heal
	From            string  // the primary when the scenario started
	Epoch           uint64  // the agreed epoch at the end
	Rounds          []PrimaryRound
	Changes         []RoleEvent // during the scenario
}

// ComputePrimary reduces a primary scenario's record to its figures.
func ComputePrimary(in PrimaryInput) PrimaryResult {
	r := PrimaryResult{From: in.From, Epoch: in.Epoch, PromotedS: -1, MovedS: -1, DemotedS: -1, Samples: len(in.Rounds)}
	for _, c := range in.Changes {
		switch {
		case c.Role == "primary":
			r.Promotions++
			r.To, r.PromotedS = c.Server, c.At-in.FaultAt
		case c.Server == in.From && in.HealAt >= 0 && r.DemotedS < 0:
			r.DemotedS = c.At - in.HealAt
		}
	}
	prev := -1.0
	for _, round := range in.Rounds {
		r.countAnswers(round)
		if prev >= 0 {
			r.countPrimaries(round.After, round.At-prev, in.Changes)
		}
		prev = round.At
		if len(round.Answers) > 0 {
			r.Final = answered(round.Answers)
		}
	}
	r.MovedS = movedAt(in.Rounds, r.To, in.FaultAt)
	r.Violations = r.ReplicaAnswers + r.MultiAnswers + r.TwoPrimaries
	return r
}

// countAnswers judges a round's answers against the roles read around
// them: an answer names a replica when its server was a replica at both
// reads, so it cannot have been the primary when the nameserver answered
// (short of two role changes within one round of a few milliseconds).
func (r *PrimaryResult) countAnswers(round PrimaryRound) {
	for _, a := range round.Answers {
		r.Answers++
		if len(a.Servers) > 1 {
			r.MultiAnswers++
			continue
		}
		for _, s := range a.Servers {
			before, after := roleOf(round.Before, s), roleOf(round.After, s)
			switch {
			case before.Role == "replica" && after.Role == "replica":
				r.ReplicaAnswers++
			case after.Frozen && after.Role == "primary":
				r.FrozenAnswers++
			}
		}
	}
}

// countPrimaries judges one read of the roles, which stood for dt
// seconds: two primaries are unfenced time while the one of the older
// epoch is the former primary not yet demoted (it was not promoted during
// the scenario); otherwise, or at equal epochs, a violation.
func (r *PrimaryResult) countPrimaries(roles []ServerRole, dt float64, changes []RoleEvent) {
	var primaries []ServerRole
	for _, s := range roles {
		if s.Role == "primary" {
			primaries = append(primaries, s)
		}
	}
	if len(primaries) < 2 {
		return
	}
	if len(primaries) > 2 {
		r.TwoPrimaries++
		return
	}
	former, newer := primaries[0], primaries[1]
	if former.Epoch > newer.Epoch {
		former, newer = newer, former
	}
	promotedLate := slices.ContainsFunc(changes, func(c RoleEvent) bool { return c.Server == former.Name && c.Role == "primary" })
	if former.Epoch == newer.Epoch || promotedLate {
		r.TwoPrimaries++
		return
	}
	r.UnfencedS += dt
	if !former.Frozen {
		r.UnfencedReachableS += dt
	}
}

func roleOf(roles []ServerRole, name string) ServerRole {
	for _, s := range roles {
		if s.Name == name {
			return s
		}
	}
	return ServerRole{Name: name}
}

// answered are the servers a round's answers named, sorted, once each.
func answered(answers []NodeAnswer) []string {
	var out []string
	for _, a := range answers {
		out = append(out, a.Servers...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// movedAt is the time from the fault to the first round, after the last
// one with an answer other than exactly to, whose answers are all to;
// -1 if there is none or nothing was promoted.
func movedAt(rounds []PrimaryRound, to string, faultAt float64) float64 {
	if to == "" {
		return -1
	}
	moved := -1.0
	for _, round := range rounds {
		if round.At < faultAt || len(round.Answers) == 0 {
			continue
		}
		all := !slices.ContainsFunc(round.Answers, func(a NodeAnswer) bool { return !slices.Equal(a.Servers, []string{to}) })
		switch {
		case !all:
			moved = -1
		case moved < 0:
			moved = round.At - faultAt
		}
	}
	return moved
}

// checkPrimary holds a primary scenario's figures to its bounds: one
// promotion, no violation, the name moved to the promoted server and
// still there at the end, and, after a heal, the former primary demoted.
func checkPrimary(p *PrimaryResult, healed bool) []string {
	if p == nil {
		return []string{"no primary figures (the role checker did not run)"}
	}
	var failures []string
	if p.Promotions != 1 {
		failures = append(failures, fmt.Sprintf("%d promotions, want exactly 1", p.Promotions))
	}
	if p.Violations != 0 {
		failures = append(failures, fmt.Sprintf("%d violations of exactly one primary (%d answers naming a replica, %d naming two servers, %d samples with two primaries after fencing)",
			p.Violations, p.ReplicaAnswers, p.MultiAnswers, p.TwoPrimaries))
	}
	if p.MovedS < 0 {
		failures = append(failures, "the name never moved to the promoted server for good")
	}
	if p.To != "" && !slices.Equal(p.Final, []string{p.To}) {
		failures = append(failures, fmt.Sprintf("the name answers %s at the end, want %s only", strings.Join(p.Final, ", "), p.To))
	}
	if healed && p.DemotedS < 0 {
		failures = append(failures, "the former primary "+p.From+" was not demoted after the heal")
	}
	return failures
}

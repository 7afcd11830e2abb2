package measure

import (
	"slices"
	"testing"
)

// roles builds a read of db-use1's and db-gcp's roles: "P"/"R" for
// primary/replica, "f" after it for frozen; epochs as given.
func roles(use1 string, e1 uint64, gcp string, e2 uint64) []ServerRole {
	one := func(name, s string, e uint64) ServerRole {
		r := ServerRole{Name: name, Role: "replica", Epoch: e, Frozen: len(s) > 1}
		if s[0] == 'P' {
			r.Role = "primary"
		}
		return r
	}
	return []ServerRole{one("db-use1", use1, e1), one("db-gcp", gcp, e2)}
}

func answers(servers ...string) []NodeAnswer {
	var out []NodeAnswer
	for i, s := range servers {
		out = append(out, NodeAnswer{Node: string(rune('a' + i)), Servers: []string{s}})
	}
	return out
}

// TestComputePrimaryFailover: the good run counts no violation, the
// frozen primary's answers and unfenced time apart, and the times.
func TestComputePrimaryFailover(t *testing.T) {
	in := PrimaryInput{FaultAt: 3, HealAt: 13, From: "db-use1", Epoch: 2,
		Changes: []RoleEvent{{At: 3.7, Server: "db-gcp", Role: "primary", Epoch: 2}, {At: 15, Server: "db-use1", Role: "replica", Epoch: 2}},
		Rounds: []PrimaryRound{
			{At: 2, Before: roles("P", 1, "R", 0), After: roles("P", 1, "R", 0), Answers: answers("db-use1", "db-use1")},
			{At: 3.5, Before: roles("Pf", 1, "R", 0), After: roles("Pf", 1, "R", 0), Answers: answers("db-use1", "db-use1")},
			// promoted between the reads: the answer already names db-gcp
			{At: 3.8, Before: roles("Pf", 1, "R", 0), After: roles("Pf", 1, "P", 2), Answers: answers("db-gcp", "db-use1")},
			{At: 4, Before: roles("Pf", 1, "P", 2), After: roles("Pf", 1, "P", 2), Answers: answers("db-gcp", "db-gcp")},
			{At: 14, Before: roles("P", 1, "P", 2), After: roles("P", 1, "P", 2), Answers: answers("db-gcp", "db-gcp")},
			{At: 15.5, Before: roles("R", 2, "P", 2), After: roles("R", 2, "P", 2), Answers: answers("db-gcp", "db-gcp")},
		}}
	r := ComputePrimary(in)
	if r.Violations != 0 || r.Promotions != 1 || r.To != "db-gcp" || r.FrozenAnswers != 3 {
		t.Errorf("got %+v; want no violation, 1 promotion to db-gcp, 3 answers naming the frozen primary", r)
	}
	if r.PromotedS != 0.7000000000000002 && r.PromotedS != 0.7 {
		t.Errorf("promoted after %v s, want 0.7", r.PromotedS)
	}
	if r.MovedS != 1 || r.DemotedS != 2 || !slices.Equal(r.Final, []string{"db-gcp"}) {
		t.Errorf("moved %v s, demoted %v s, final %v; want 1, 2, [db-gcp]", r.MovedS, r.DemotedS, r.Final)
	}
	// The rounds at 3.8, 4 and 14 read two primaries, each standing for
	// the time since the round before: 0.3 + 0.2 + 10 s; the last after the heal.
	if r.UnfencedS < 10.49 || r.UnfencedS > 10.51 || r.UnfencedReachableS != 10 {
		t.Errorf("unfenced %v s (%v s reachable); want 10.5 s, 10 s of it reachable (the round at 14 after the heal)", r.UnfencedS, r.UnfencedReachableS)
	}
	if failures := checkPrimary(&r, true); len(failures) != 0 {
		t.Errorf("checkPrimary: %v", failures)
	}
}

// TestComputePrimaryViolations: each kind of violation is counted, and
// fails the check.
func TestComputePrimaryViolations(t *testing.T) {
	in := PrimaryInput{FaultAt: 1, HealAt: -1, From: "db-use1",
		Changes: []RoleEvent{{At: 1.5, Server: "db-gcp", Role: "primary", Epoch: 2}, {At: 2.5, Server: "db-use1", Role: "primary", Epoch: 3}},
		Rounds: []PrimaryRound{
			{At: 1, Before: roles("Pf", 1, "R", 0), After: roles("Pf", 1, "R", 0), Answers: answers("db-gcp")}, // a replica named
			{At: 2, Before: roles("R", 2, "P", 2), After: roles("R", 2, "P", 2), Answers: answers("db-use1")},  // the demoted one named
			{At: 2.1, Before: roles("R", 2, "P", 2), After: roles("R", 2, "P", 2),
				Answers: []NodeAnswer{{Node: "a", Servers: []string{"db-use1", "db-gcp"}}}}, // two named
			{At: 2.6, Before: roles("P", 3, "P", 2), After: roles("P", 3, "P", 2), Answers: answers("db-gcp")}, // re-promoted: two primaries
		}}
	r := ComputePrimary(in)
	if r.ReplicaAnswers != 2 || r.MultiAnswers != 1 || r.TwoPrimaries != 1 || r.Violations != 4 || r.Promotions != 2 {
		t.Errorf("got %+v; want 2 replica answers, 1 multi answer, 1 two primaries, 4 violations, 2 promotions", r)
	}
	if f := checkPrimary(&r, false); len(f) != 4 {
		t.Errorf("checkPrimary: %q; want promotions, violations, the move and the final answer failing", f)
	}
	if f := checkPrimary(nil, false); len(f) != 1 {
		t.Errorf("checkPrimary(nil): %q; want one failure", f)
	}
}

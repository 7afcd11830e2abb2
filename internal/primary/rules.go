package primary

import (
	"fmt"
	"slices"
)

// Rule is a safety rule, checked on every change as Route 53 ARC checks
// its rules: an assertion says what every record must be, a gate what an
// automatic change needs. A change that breaks one is refused, naming it.
type Rule interface {
	// Name is how the operator and the refusal call it.
	Name() string
	// Allows reports whether cmd may turn before into after.
	Allows(before, after Record, cmd Command) bool
}

// ErrRule is wrapped by the refusal of a change that breaks a rule.
var ErrRule = fmt.Errorf("primary: refused by a safety rule")

// Check returns nil when every rule allows the change. A change is judged
// when it starts (Promote, Adopt): completing or abandoning a promotion
// that passed, or fencing, is not judged again, so a promotion started by
// breaking glass completes when its hook succeeds. A break-glass command
// (an operator's, with a reason) passes every rule: it is what an operator
// uses when a rule is wrong for the moment, and the event history records
// it.
func Check(rules []Rule, before, after Record, cmd Command) error {
	if cmd.Kind != Promote && cmd.Kind != Adopt {
		return nil
	}
	if cmd.BreakGlass && cmd.Who != "" && cmd.Who != Auto && cmd.Reason != "" {
		return nil
	}
	for _, r := range rules {
		if !r.Allows(before, after, cmd) {
			return fmt.Errorf("%w: %s", ErrRule, r.Name())
		}
	}
	return nil
}

// Auto is the Who of the leader's own decisions.
const Auto = "auto"

// AnsweredAmong is an assertion: the endpoint answered is always one of
// Endpoints (or none before the first election). "Never a server outside
// the database cluster." A promotion is refused when it starts, not once
// its hook has run.
type AnsweredAmong struct {
	RuleName  string
	Endpoints []string
}

func (r AnsweredAmong) Name() string { return r.RuleName }

func (r AnsweredAmong) Allows(_, after Record, _ Command) bool {
	among := func(e string) bool { return e == "" || slices.Contains(r.Endpoints, e) }
	return among(after.Primary) && (after.Pending == nil || among(after.Pending.Candidate))
}

// Gate is a gating rule: while it is off, no change of primary starts,
// automatic or an operator's, unless the operator breaks glass (as Route
// 53 ARC's gating rules). An operator freezes failover during maintenance
// by turning it off; a promotion already started completes.
type Gate struct {
	RuleName string
	On       bool
}

func (g Gate) Name() string { return g.RuleName }

func (g Gate) Allows(_, _ Record, cmd Command) bool {
	return g.On || (cmd.Kind != Promote && cmd.Kind != Adopt)
}

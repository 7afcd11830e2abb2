// Package primary decides who the one primary of a `policy: primary`
// service is: the pure part of issue 17, before any wiring.
//
// A primary service answers exactly one endpoint. Who it is lives in the
// replicated state as a Record: the primary and its epoch, a fencing token
// that grows with every change, so a database told "you are primary at
// epoch 7" can refuse writes stamped with an older one. The record changes
// only through Commands applied in log order (Apply); the leader proposes
// them from what it sees (Decide), and an operator's Set is a command too.
//
// A change of primary is a promotion in two steps, because the user's
// on_promote hook (pg_ctl promote, a cloud API call) must have run before
// clients are sent to the new primary:
//
//  1. Promote(candidate, epoch = current + 1) records the promotion as
//     pending. DNS still answers the old primary: a name never points at a
//     server that has not been made primary.
//  2. Promoted(epoch) when the hook succeeded makes the candidate the
//     primary. Applying it twice is a no-op, so a new leader that reruns
//     an interrupted hook (with the same epoch: hooks must be idempotent
//     per epoch) and reports again changes nothing. Abandon(epoch) drops a
//     promotion whose hook failed for good.
//
// What the package guarantees, and its property tests check over random
// sequences of verdicts, leader changes, operator commands and hook
// outcomes: at most one endpoint is ever answered; epochs never go down;
// a promotion's epoch is used once; every safety rule holds after every
// applied command (a command that would break one is refused with the
// rule's name, and the record stays as it was).
//
// Pure: no IO, no clock (times come in commands), no goroutines.
package primary

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Record is the agreed primary of one service.
type Record struct {
	// Primary is the endpoint answered; "" before the first election.
	Primary string `json:"primary,omitempty"`
	// Epoch is the fencing token of Primary (and of Pending, once it is
	// promoted): it grows by one with every promotion.
	Epoch uint64 `json:"epoch"`
	// Pending is a promotion waiting for its on_promote hook.
	Pending *Promotion `json:"pending,omitempty"`
	// Demoted are former primaries not to be answered again without an
	// operator's Set or failback: auto.
	Demoted []string `json:"demoted,omitempty"`
	// Since is when Primary last changed.
	Since time.Time `json:"since,omitzero"`
}

// Promotion is a change of primary under way.
type Promotion struct {
	Candidate string    `json:"candidate"`
	Epoch     uint64    `json:"epoch"`
	From      string    `json:"from,omitempty"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
	// Who asked: "auto" for the leader's decision, else the operator.
	Who string `json:"who"`
}

// Kind is what a Command does.
type Kind string

// Command kinds.
const (
	// Promote starts a promotion of Candidate at Epoch (= Record.Epoch + 1).
	Promote Kind = "promote"
	// Promoted completes the pending promotion at Epoch: its hook ran.
	Promoted Kind = "promoted"
	// Abandon drops the pending promotion at Epoch: its hook failed for good.
	Abandon Kind = "abandon"
)

// Command is one change of a Record, as the Raft log carries it.
type Command struct {
	Kind      Kind      `json:"kind"`
	Candidate string    `json:"candidate,omitempty"`
	Epoch     uint64    `json:"epoch"`
	Reason    string    `json:"reason,omitempty"`
	Who       string    `json:"who,omitempty"`
	At        time.Time `json:"at"`
	// BreakGlass passes every safety rule (see Check): an operator's
	// override, which needs a reason.
	BreakGlass bool `json:"break_glass,omitempty"`
}

// Errors Apply returns; the record is then unchanged.
var (
	ErrStaleEpoch = errors.New("primary: the command's epoch is not the next one")
	ErrNoPending  = errors.New("primary: no promotion is pending at that epoch")
	ErrBusy       = errors.New("primary: a promotion is already pending")
	ErrUnknown    = errors.New("primary: not an endpoint of the service")
)

// Apply returns rec with cmd applied, or an error and rec unchanged. eps
// are the service's endpoint names; rules are checked on the result.
func Apply(rec Record, cmd Command, eps []string, rules []Rule) (Record, error) {
	next, err := apply(rec, cmd, eps)
	if err != nil {
		return rec, err
	}
	if err := Check(rules, rec, next, cmd); err != nil {
		return rec, err
	}
	return next, nil
}

func apply(rec Record, cmd Command, eps []string) (Record, error) {
	next := rec
	next.Demoted = slices.Clone(rec.Demoted)
	switch cmd.Kind {
	case Promote:
		switch {
		case !slices.Contains(eps, cmd.Candidate):
			return rec, fmt.Errorf("%w: %q", ErrUnknown, cmd.Candidate)
		case rec.Pending != nil:
			return rec, fmt.Errorf("%w: %s at epoch %d", ErrBusy, rec.Pending.Candidate, rec.Pending.Epoch)
		case cmd.Epoch != rec.Epoch+1:
			return rec, fmt.Errorf("%w: %d, want %d", ErrStaleEpoch, cmd.Epoch, rec.Epoch+1)
		case cmd.Candidate == rec.Primary:
			return rec, fmt.Errorf("primary: %s is the primary already", cmd.Candidate)
		}
		next.Epoch = cmd.Epoch
		next.Pending = &Promotion{Candidate: cmd.Candidate, Epoch: cmd.Epoch, From: rec.Primary,
			Reason: cmd.Reason, At: cmd.At, Who: cmd.Who}
	case Promoted:
		if rec.Pending == nil || rec.Pending.Epoch != cmd.Epoch {
			if rec.Pending == nil && rec.Epoch == cmd.Epoch && cmd.Epoch > 0 {
				return rec, nil // the hook reran after a leader change: done already
			}
			return rec, fmt.Errorf("%w: %d", ErrNoPending, cmd.Epoch)
		}
		p := rec.Pending
		if p.From != "" && !slices.Contains(next.Demoted, p.From) {
			next.Demoted = append(next.Demoted, p.From)
		}
		next.Demoted = slices.DeleteFunc(next.Demoted, func(e string) bool { return e == p.Candidate })
		next.Primary, next.Pending, next.Since = p.Candidate, nil, cmd.At
	case Abandon:
		if rec.Pending == nil || rec.Pending.Epoch != cmd.Epoch {
			return rec, fmt.Errorf("%w: %d", ErrNoPending, cmd.Epoch)
		}
		next.Pending = nil // the epoch stays used: fencing tokens never repeat
	default:
		return rec, fmt.Errorf("primary: unknown command %q", cmd.Kind)
	}
	return next, nil
}

// Answered is the endpoint DNS answers for rec: the primary, never a
// pending candidate.
func (r Record) Answered() string { return r.Primary }

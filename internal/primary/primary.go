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
	// Epoch is the last epoch issued: it grows by one with every promotion
	// started, and a pending or abandoned one keeps its number.
	Epoch uint64 `json:"epoch"`
	// PrimaryEpoch is Primary's own fencing token: the epoch it was
	// promoted at.
	PrimaryEpoch uint64 `json:"primary_epoch,omitempty"`
	// Pending is a promotion waiting for its on_promote hook.
	Pending *Promotion `json:"pending,omitempty"`
	// Demoted are former primaries not to be answered again without an
	// operator's Set or failback: auto.
	Demoted []string `json:"demoted,omitempty"`
	// Fencing are former primaries whose on_demote hook has not reported
	// success yet: the leader runs it until it does (ToFence).
	Fencing []string `json:"fencing,omitempty"`
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
	// BreakGlass: the operator passed over the safety rules to start it.
	BreakGlass bool `json:"break_glass,omitempty"`
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
	// Fenced records that Candidate's on_demote hook succeeded (or that it
	// has none): it is no longer to be fenced.
	Fenced Kind = "fenced"
	// Adopt makes Candidate the primary at Epoch (= Record.Epoch + 1) at
	// once, without a hook: for a service that follows a primary someone
	// else elected (mode follow), the role check already says it is one.
	Adopt Kind = "adopt"
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
	next.Fencing = slices.Clone(rec.Fencing)
	switch cmd.Kind {
	case Promote, Adopt:
		if err := canStart(rec, cmd, eps); err != nil {
			return rec, err
		}
		next.Epoch = cmd.Epoch
		p := &Promotion{Candidate: cmd.Candidate, Epoch: cmd.Epoch, From: rec.Primary,
			Reason: cmd.Reason, At: cmd.At, Who: cmd.Who, BreakGlass: cmd.BreakGlass}
		if cmd.Kind == Promote {
			next.Pending = p
		} else {
			next.complete(p, cmd.At, false)
		}
	case Promoted:
		if rec.Pending == nil || rec.Pending.Epoch != cmd.Epoch {
			if rec.Pending == nil && rec.Epoch == cmd.Epoch && cmd.Epoch > 0 {
				return rec, nil // the hook reran after a leader change: done already
			}
			return rec, fmt.Errorf("%w: %d", ErrNoPending, cmd.Epoch)
		}
		next.complete(rec.Pending, cmd.At, true)
	case Abandon:
		if rec.Pending == nil || rec.Pending.Epoch != cmd.Epoch {
			return rec, fmt.Errorf("%w: %d", ErrNoPending, cmd.Epoch)
		}
		next.Pending = nil // the epoch stays used: fencing tokens never repeat
	case Fenced:
		if !slices.Contains(rec.Fencing, cmd.Candidate) {
			return rec, nil // reported again by a new leader: done already
		}
		next.Fencing = slices.DeleteFunc(next.Fencing, func(e string) bool { return e == cmd.Candidate })
	default:
		return rec, fmt.Errorf("primary: unknown command %q", cmd.Kind)
	}
	return next, nil
}

// canStart says why cmd cannot start a change of primary, if it cannot.
func canStart(rec Record, cmd Command, eps []string) error {
	switch {
	case !slices.Contains(eps, cmd.Candidate):
		return fmt.Errorf("%w: %q", ErrUnknown, cmd.Candidate)
	case rec.Pending != nil:
		return fmt.Errorf("%w: %s at epoch %d", ErrBusy, rec.Pending.Candidate, rec.Pending.Epoch)
	case cmd.Epoch != rec.Epoch+1:
		return fmt.Errorf("%w: %d, want %d", ErrStaleEpoch, cmd.Epoch, rec.Epoch+1)
	case cmd.Candidate == rec.Primary:
		return fmt.Errorf("primary: %s is the primary already", cmd.Candidate)
	}
	return nil
}

// complete makes p's candidate the primary. With demote, the former
// primary is demoted and to be fenced (outlast elected its successor); the
// new one is neither.
func (r *Record) complete(p *Promotion, at time.Time, demote bool) {
	if p.From != "" && demote {
		if !slices.Contains(r.Demoted, p.From) {
			r.Demoted = append(r.Demoted, p.From)
		}
		if !slices.Contains(r.Fencing, p.From) {
			r.Fencing = append(r.Fencing, p.From)
		}
	}
	isNew := func(e string) bool { return e == p.Candidate }
	r.Demoted = slices.DeleteFunc(r.Demoted, isNew)
	r.Fencing = slices.DeleteFunc(r.Fencing, isNew)
	r.Primary, r.PrimaryEpoch, r.Pending, r.Since = p.Candidate, p.Epoch, nil, at
}

// ToFence lists the former primaries whose on_demote the leader is to run
// now: those being fenced, except one a pending promotion is about to make
// primary again (demoting it would undo its promotion).
func (r Record) ToFence() []string {
	var out []string
	for _, e := range r.Fencing {
		if e != r.Primary && (r.Pending == nil || r.Pending.Candidate != e) {
			out = append(out, e)
		}
	}
	return out
}

// Answered is the endpoint DNS answers for rec: the primary, never a
// pending candidate.
func (r Record) Answered() string { return r.Primary }

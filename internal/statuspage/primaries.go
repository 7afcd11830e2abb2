package statuspage

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/primary"
	"outlast/internal/state"
)

// primaryView is one policy primary service's card: who is answered and
// at which epoch, what is under way, what holds it and what ran.
type primaryView struct {
	Service string
	// Mode is elect or follow; Failback and MoveDNS are the service's
	// settings, which say what the rest of the card will do next.
	Mode, Failback, MoveDNS string
	// Primary is the endpoint answered, "" before the first election;
	// Epoch its fencing token, the epoch it was promoted at; Since when the
	// primary last changed.
	Primary string
	Epoch   uint64
	Since   string
	// EpochNote says when a later epoch was issued: a promotion takes its
	// epoch when it starts, before its hook has run, and an abandoned one
	// leaves its number used.
	EpochNote string
	Pending   *pendingView
	// Fencing are former primaries whose on_demote has not succeeded yet;
	// Demoted those not answered again without an operator.
	Fencing, Demoted []string
	// Held says why an automatic change is not happening; Claimants are
	// the endpoints claiming the role at once (a split brain).
	Held      string
	Claimants []string
	Rules     []string
	Gates     []gateView
	Hooks     []hookView
}

// pendingView is a promotion waiting for its on_promote hook.
type pendingView struct {
	Candidate string
	Epoch     uint64
	// From is the primary that stays answered until the hook succeeds.
	From, Reason, Who, At string
	BreakGlass            bool
}

// gateView is a gating rule: automatic changes of primary wait while it is off.
type gateView struct {
	Name string
	// State is "on" or "off"; Class and Symbol show it for the eye.
	State, Class, Symbol string
	// Who set it, Why and At; empty for a gate nobody has set (gates start on).
	Who, Why, At string
}

// hookView is the last run of one hook, retries included.
type hookView struct {
	Hook, Endpoint string
	Epoch          uint64
	// State is "ok" or "failed"; Class and Symbol show it for the eye.
	State, Class, Symbol string
	// Attempts reads "1 attempt" or "3 attempts".
	Attempts, Took, Node, At string
	// Error says what failed, shortened; empty when the hook succeeded.
	Error string
}

// primaries are the cards of the policy primary services, in configuration
// order; none when no service has policy primary, and the page then shows
// no Primaries section at all.
func primaries(s snapshot) []primaryView {
	var out []primaryView
	for _, svc := range s.services() {
		if svc.Policy == config.PolicyPrimary {
			out = append(out, primaryOf(s, &svc))
		}
	}
	return out
}

func primaryOf(s snapshot, svc *config.Service) primaryView {
	rec := s.state.Primaries[svc.Name]
	p := primaryView{Service: svc.Name, Mode: string(cmp.Or(svc.Primary.Mode, config.PrimaryElect)),
		Failback: string(cmp.Or(svc.Primary.Failback, config.FailbackManual)),
		MoveDNS:  string(cmp.Or(svc.Primary.MoveDNS, config.MoveAfterPromote)),
		Primary:  rec.Primary, Epoch: rec.PrimaryEpoch, Since: since(s.now, rec.Since),
		Pending: pendingOf(s.now, rec.Pending), Fencing: rec.Fencing, Demoted: rec.Demoted,
		Held: rec.Held, Claimants: rec.Claimants}
	switch {
	case rec.Pending != nil:
		p.EpochNote = fmt.Sprintf("epoch %d taken by the promotion of %s, waiting for on_promote", rec.Pending.Epoch, rec.Pending.Candidate)
	case rec.Epoch > rec.PrimaryEpoch:
		p.EpochNote = fmt.Sprintf("epoch %d was issued to a promotion that was abandoned", rec.Epoch)
	}
	for _, r := range svc.Primary.Rules {
		p.Rules = append(p.Rules, r.Name+": the primary is one of "+strings.Join(r.AnsweredAmong, ", "))
	}
	for _, g := range svc.Primary.Gates {
		p.Gates = append(p.Gates, gateOf(s, g))
	}
	for _, name := range slices.Sorted(maps.Keys(rec.Hooks)) {
		p.Hooks = append(p.Hooks, hookOf(s.now, rec.Hooks[name]))
	}
	return p
}

// since reads "15:29:00 UTC (1 min ago)", or "" for a zero time.
func since(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return clockTime(now, t) + " UTC (" + ago(now, t) + ")"
}

func pendingOf(now time.Time, p *primary.Promotion) *pendingView {
	if p == nil {
		return nil
	}
	who := p.Who
	if who == primary.Auto {
		who = "the leader, automatically"
	}
	return &pendingView{Candidate: p.Candidate, Epoch: p.Epoch, From: cmp.Or(p.From, "none"),
		Reason: p.Reason, Who: cmp.Or(who, "unknown"), At: since(now, p.At), BreakGlass: p.BreakGlass}
}

func gateOf(s snapshot, name string) gateView {
	g := gateView{Name: name, State: "on", Class: "up", Symbol: "✓"}
	if !s.state.GateOn(name) {
		g.State, g.Class, g.Symbol = "off", "degraded", "!"
	}
	if set, ok := s.state.Gates[name]; ok {
		g.Who, g.Why, g.At = set.Who, set.Why, since(s.now, set.At)
	}
	return g
}

func hookOf(now time.Time, r state.HookRun) hookView {
	h := hookView{Hook: r.Hook, Endpoint: r.Endpoint, Epoch: r.Epoch, State: "ok", Class: "up", Symbol: "✓",
		Attempts: fmt.Sprintf("%d %s", r.Attempts, plural(r.Attempts, "attempt", "attempts")), Took: span(r.Took), Node: r.Node, At: since(now, r.At)}
	if !r.OK {
		h.State, h.Class, h.Symbol = "failed", "down", "✗"
		// The state keeps the end of the error already; shorten bounds it
		// again (a snapshot may come from another version) and mends its UTF-8.
		h.Error = cmp.Or(shorten(r.Error, state.MaxHookOutput), "no error recorded")
	}
	return h
}

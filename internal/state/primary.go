package state

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/primary"
)

// Primary is the agreed primary of one policy primary service, with what
// the leader last reported about it.
type Primary struct {
	primary.Record
	// Held says why the leader's automatic change is not happening: the
	// safety rule or gate that refused it, or a split brain. Empty when
	// nothing is held.
	Held string `json:"held,omitempty"`
	// Claimants are the endpoints claiming the role at once, in a service
	// that follows a primary elected elsewhere (a split brain).
	Claimants []string `json:"claimants,omitempty"`
	// Hooks are the last run of each hook, by "on_promote" or "on_demote".
	Hooks map[string]HookRun `json:"hooks,omitempty"`
}

// HookRun is the outcome of one run of a hook, retries included.
type HookRun struct {
	Hook     string        `json:"hook"`
	Endpoint string        `json:"endpoint"`
	Epoch    uint64        `json:"epoch"`
	OK       bool          `json:"ok"`
	Attempts int           `json:"attempts"`
	Took     time.Duration `json:"took"`
	// Error says what failed; Output is the end of what the hook printed.
	Error  string `json:"error,omitempty"`
	Output string `json:"output,omitempty"`
	// Node is the leader that ran it.
	Node string    `json:"node"`
	At   time.Time `json:"at"`
}

// Gate is an operator's setting of a gating rule.
type Gate struct {
	On  bool      `json:"on"`
	Who string    `json:"who"`
	Why string    `json:"why"`
	At  time.Time `json:"at"`
}

// PrimaryChange is a Primary command: a change of one service's record.
type PrimaryChange struct {
	Service string          `json:"service"`
	Change  primary.Command `json:"change"`
}

// PrimaryReport is a PrimaryNote command: what the leader saw about one
// service's primary that changes no record: a change held back, or a hook
// run.
type PrimaryReport struct {
	Service string `json:"service"`
	// Held and Claimants replace the service's (Held "" clears them) unless
	// Hook is set.
	Held      string   `json:"held,omitempty"`
	Claimants []string `json:"claimants,omitempty"`
	Hook      *HookRun `json:"hook,omitempty"`
}

// GateChange is a SetGate command.
type GateChange struct {
	Name string `json:"name"`
	On   bool   `json:"on"`
}

// MaxHookOutput bounds a hook's output kept in the state.
const MaxHookOutput = 1024

// GateOn reports whether the named gate is on (gates start on).
func (s *State) GateOn(name string) bool {
	g, set := s.Gates[name]
	return !set || g.On
}

// RulesOf are the safety rules of svc's primary: its assertion rules and
// its gates as the state has them.
func (s *State) RulesOf(svc *config.Service) []primary.Rule {
	var rules []primary.Rule
	for _, r := range svc.Primary.Rules {
		rules = append(rules, primary.AnsweredAmong{RuleName: r.Name, Endpoints: r.AnsweredAmong})
	}
	for _, g := range svc.Primary.Gates {
		rules = append(rules, primary.Gate{RuleName: "gate " + g, On: s.GateOn(g)})
	}
	return rules
}

// primaryService finds the policy primary service named.
func (s *State) primaryService(name string) (*config.Service, error) {
	if s.Config != nil {
		for i := range s.Config.Shared.Services {
			if svc := &s.Config.Shared.Services[i]; svc.Name == name && svc.Policy == config.PolicyPrimary {
				return svc, nil
			}
		}
	}
	return nil, wrap(ErrInvalid, "%q is not a service with policy primary", name)
}

// EndpointNames lists svc's endpoint names in configuration order.
func EndpointNames(svc *config.Service) []string {
	names := make([]string, len(svc.Endpoints))
	for i, e := range svc.Endpoints {
		names[i] = e.Name
	}
	return names
}

// changePrimary applies a change of a service's primary. A change the
// leader proposed on its own that a safety rule refuses is held (recorded,
// with an event when the reason is new) rather than failed: the leader
// then sees why in the state and does not propose it again.
func (s *State) changePrimary(index uint64, cmd *Command) error {
	pc := cmd.Primary
	if pc == nil {
		return wrap(ErrInvalid, "primary command without a change")
	}
	svc, err := s.primaryService(pc.Service)
	if err != nil {
		return err
	}
	c := pc.Change
	if c.BreakGlass && (c.Who == "" || c.Who == primary.Auto || strings.TrimSpace(c.Reason) == "") {
		return wrap(ErrInvalid, "breaking glass needs an operator and a reason")
	}
	cur := s.Primaries[pc.Service]
	next, err := primary.Apply(cur.Record, c, EndpointNames(svc), s.RulesOf(svc))
	if err != nil {
		if errors.Is(err, primary.ErrRule) && c.Who == primary.Auto {
			s.hold(index, cmd, pc.Service, HeldReason(c, err), nil)
			return nil
		}
		return wrap(ErrInvalid, "%v", err)
	}
	if reflect.DeepEqual(next, cur.Record) {
		return nil // reported again after a leader change: nothing changes, no event
	}
	out := cur
	out.Record = next
	if c.Kind == primary.Promote || c.Kind == primary.Adopt {
		out.Held, out.Claimants = "", nil
	}
	s.primaries()[pc.Service] = out
	kind, detail := primaryEvent(cur.Record, next, c)
	endpoint := c.Candidate
	switch {
	case c.Kind == primary.Promoted:
		endpoint = next.Primary
	case c.Kind == primary.Abandon && cur.Pending != nil:
		endpoint = cur.Pending.Candidate
	}
	s.event(index, &Command{At: cmd.At, Who: c.Who, Why: c.Reason}, kind, endpoint, pc.Service+": "+detail)
	return nil
}

// HeldReason says why the automatic change c is held, err being the
// safety rule's refusal.
func HeldReason(c primary.Command, err error) string {
	return fmt.Sprintf("%s of %s held: %v", c.Kind, c.Candidate, err)
}

// primaryEvent names and describes a change of record for the history.
func primaryEvent(before, after primary.Record, c primary.Command) (kind, detail string) {
	kind = "primary-" + string(c.Kind)
	switch c.Kind {
	case primary.Promote:
		detail = fmt.Sprintf("promoting %s at epoch %d (primary was %s); the name moves when its on_promote succeeded", c.Candidate, c.Epoch, orNone(before.Primary))
	case primary.Promoted, primary.Adopt:
		detail = fmt.Sprintf("%s is the primary at epoch %d (was %s)", after.Primary, after.Epoch, orNone(before.Primary))
	case primary.Abandon:
		detail = fmt.Sprintf("promotion of %s at epoch %d abandoned; %s stays the primary", before.Pending.Candidate, c.Epoch, orNone(after.Primary))
	case primary.Fenced:
		detail = fmt.Sprintf("%s is fenced (demoted at epoch %d)", c.Candidate, after.Epoch)
	}
	if c.BreakGlass {
		kind, detail = "primary-break-glass", "break glass, safety rules passed over: "+detail
	}
	return kind, detail
}

func orNone(s string) string { return cmp.Or(s, "none") }

// notePrimary records what the leader reports about a service's primary.
func (s *State) notePrimary(index uint64, cmd *Command) error {
	r := cmd.Report
	if r == nil {
		return wrap(ErrInvalid, "primary report without content")
	}
	if _, err := s.primaryService(r.Service); err != nil {
		return err
	}
	if r.Hook == nil {
		s.hold(index, cmd, r.Service, r.Held, r.Claimants)
		return nil
	}
	h := *r.Hook
	h.Output = tail(h.Output, MaxHookOutput)
	h.Error = tail(h.Error, MaxHookOutput)
	out := s.Primaries[r.Service]
	out.Hooks = cloneWith(out.Hooks, h.Hook, h)
	s.primaries()[r.Service] = out
	outcome := fmt.Sprintf("ok after %d attempt(s) in %s", h.Attempts, h.Took.Round(time.Millisecond))
	if !h.OK {
		outcome = fmt.Sprintf("failed after %d attempt(s): %s", h.Attempts, h.Error)
	}
	s.event(index, cmd, "hook", h.Endpoint, fmt.Sprintf("%s: %s of %s at epoch %d on %s %s", r.Service, h.Hook, h.Endpoint, h.Epoch, h.Node, outcome))
	return nil
}

// hold records why a service's primary is not changing; an event only
// when the reason is new, since the leader re-reports on every change.
func (s *State) hold(index uint64, cmd *Command, service, held string, claimants []string) {
	cur := s.Primaries[service]
	if cur.Held == held && slices.Equal(cur.Claimants, claimants) {
		return
	}
	cur.Held, cur.Claimants = held, slices.Clone(claimants)
	s.primaries()[service] = cur
	detail := service + ": " + held
	if held == "" {
		detail = service + ": no longer held"
	}
	s.event(index, &Command{At: cmd.At, Who: cmd.Who}, "primary-held", "", detail)
}

func (s *State) setGate(index uint64, cmd *Command) error {
	g := cmd.Gate
	switch {
	case g == nil:
		return wrap(ErrInvalid, "set-gate without a gate")
	case strings.TrimSpace(cmd.Why) == "":
		return wrap(ErrInvalid, "reason is required: say why, it is recorded with the change")
	case !s.gateNamed(g.Name):
		return wrap(ErrInvalid, "no primary service names gate %q in primary.gates", g.Name)
	}
	s.gates()[g.Name] = Gate{On: g.On, Who: cmd.Who, Why: cmd.Why, At: cmd.At}
	state := "off: automatic changes of primary wait"
	if g.On {
		state = "on"
	}
	s.event(index, cmd, "gate", "", fmt.Sprintf("gate %s %s", g.Name, state))
	return nil
}

func (s *State) gateNamed(name string) bool {
	if s.Config == nil {
		return false
	}
	for _, svc := range s.Config.Shared.Services {
		if slices.Contains(svc.Primary.Gates, name) {
			return true
		}
	}
	return false
}

// dropPrimaries forgets the records of services that are no longer of
// policy primary after a configuration change.
func (s *State) dropPrimaries() {
	for name := range s.Primaries {
		if _, err := s.primaryService(name); err != nil {
			delete(s.primaries(), name)
		}
	}
}

// cloneWith is a copy of m with k set to v: m may be shared with an
// older State.
func cloneWith[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

// tail keeps the last n bytes of s, the end of a hook's output being where
// its error usually is.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + strings.ToValidUTF8(s[len(s)-n:], "")
}

package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Kind names a command.
type Kind string

// Command kinds.
const (
	SetConfig       Kind = "set-config"
	SetVerdicts     Kind = "verdicts"
	SetOverride     Kind = "set-override"
	ClearOverride   Kind = "clear-override"
	ExpireOverrides Kind = "expire-overrides"
	SetMember       Kind = "set-member"
	RemoveMember    Kind = "remove-member"
	// ChangePrimary changes a policy primary service's record (Primary).
	ChangePrimary Kind = "primary"
	// ReportPrimary records what the leader saw about one (Report).
	ReportPrimary Kind = "primary-report"
	// SetGate turns a gating rule on or off (Gate).
	SetGate Kind = "set-gate"
	// RotateCookies makes Cookie the current DNS cookie secret, the
	// current one the previous.
	RotateCookies Kind = "rotate-cookies"
	// RestoreState replaces the state with a backup's (Restore, restore.go).
	RestoreState Kind = "restore-state"
)

// Command is one change proposed to the cluster. At is stamped by the
// proposer; Apply uses it, never a clock of its own.
type Command struct {
	Kind Kind `json:"kind"`
	// V is the protocol version of the kind (KindVersion), which Encode
	// sets; absent (0) means 1, as in every entry written before versions
	// were numbered. A node refuses a command of a version it does not
	// speak (Understood).
	V   int       `json:"v,omitempty"`
	At  time.Time `json:"at"`
	Who string    `json:"who,omitempty"`
	Why string    `json:"why,omitempty"`

	// SetConfig: the configuration, its hash, and (when not zero) the
	// version it was edited from, for an optimistic concurrency check.
	Config      *config.Shared `json:"config,omitempty"`
	ConfigHash  string         `json:"config_hash,omitempty"`
	BaseVersion uint64         `json:"base_version,omitempty"`
	// SetVerdicts: the verdicts that changed, with their evidence.
	Verdicts []model.Verdict `json:"verdicts,omitempty"`
	// SetOverride.
	Override *Override `json:"override,omitempty"`
	// ClearOverride: the endpoint whose override ends.
	Endpoint string `json:"endpoint,omitempty"`
	// SetMember, RemoveMember (by Name).
	Member *Member `json:"member,omitempty"`
	// ChangePrimary.
	Primary *PrimaryChange `json:"primary,omitempty"`
	// ReportPrimary.
	Report *PrimaryReport `json:"report,omitempty"`
	// SetGate.
	Gate *GateChange `json:"gate,omitempty"`
	// RotateCookies: the new secret, 32 hex digits.
	Cookie string `json:"cookie,omitempty"`
	// RestoreState: the backup's state and where it came from.
	Restore *Restore `json:"restore,omitempty"`
}

// Encode serializes a command for the Raft log, stamped with its kind's
// protocol version (none for a version 1 kind, so those read as before).
func Encode(cmd Command) ([]byte, error) {
	cmd.V = 0
	if v := versionOf(cmd.Kind); v > 1 {
		cmd.V = v
	}
	return json.Marshal(cmd)
}

// Decode parses a command from the Raft log.
func Decode(data []byte) (Command, error) {
	var cmd Command
	if err := json.Unmarshal(data, &cmd); err != nil {
		return Command{}, fmt.Errorf("state: decode command: %w", err)
	}
	return cmd, nil
}

// Apply applies the command at Raft index. On error the state is unchanged
// except for Index, so every node stays at the same place in the log.
//
// A command this build does not understand (Understood: a newer version,
// an unknown kind) leaves the state entirely unchanged, Index included:
// skipping it would leave this node's state apart from the nodes that
// applied it, so Machine stops there instead (Halt).
func (s *State) Apply(index uint64, cmd Command) error {
	if err := Understood(cmd); err != nil {
		return err
	}
	s.Index = index
	err := s.apply(index, cmd)
	if v := cmd.version(); err == nil && v > s.version() {
		s.V = v // what a snapshot of this State needs to be read
	}
	return err
}

// apply is Apply's work on an understood command.
func (s *State) apply(index uint64, cmd Command) error {
	s.expire(index, &cmd)
	switch cmd.Kind {
	case SetConfig:
		return s.setConfig(index, &cmd)
	case SetVerdicts:
		s.setVerdicts(index, &cmd)
		return nil
	case SetOverride:
		return s.setOverride(index, &cmd)
	case ClearOverride:
		return s.clearOverride(index, &cmd)
	case ExpireOverrides:
		return nil // expire above did the work
	case SetMember:
		return s.setMember(index, &cmd)
	case RemoveMember:
		return s.removeMember(index, &cmd)
	case ChangePrimary:
		return s.changePrimary(index, &cmd)
	case ReportPrimary:
		return s.notePrimary(index, &cmd)
	case SetGate:
		return s.setGate(index, &cmd)
	case RotateCookies:
		return s.rotateCookies(&cmd)
	case RestoreState:
		return s.restore(index, &cmd)
	default:
		return wrap(ErrUnknownCommand, "%q", cmd.Kind)
	}
}

func (s *State) setConfig(index uint64, cmd *Command) error {
	if cmd.Config == nil {
		return wrap(ErrInvalid, "set-config without a configuration")
	}
	current := uint64(0)
	if s.Config != nil {
		current = s.Config.Version
		if cmd.ConfigHash == s.Config.Hash {
			return nil // the same configuration again: nothing changes, no event
		}
	}
	if cmd.BaseVersion != 0 && cmd.BaseVersion != current {
		return wrap(ErrVersionConflict, "edited from version %d, but version %d is current", cmd.BaseVersion, current)
	}
	s.Config = &AppliedConfig{Version: current + 1, Hash: cmd.ConfigHash, Shared: *cmd.Config, At: cmd.At, Who: cmd.Who}
	s.dropUnknown()
	s.event(index, cmd, "config", "", fmt.Sprintf("configuration version %d applied (hash %s, %d services)",
		s.Config.Version, cmd.ConfigHash, len(cmd.Config.Services)))
	return nil
}

// setVerdicts records decided verdicts. Verdicts of endpoints the
// configuration no longer has are dropped: the leader decided them under an
// older configuration, and the order in the log makes that deterministic.
func (s *State) setVerdicts(index uint64, cmd *Command) {
	known := s.endpointNames()
	for _, v := range cmd.Verdicts {
		if !known[v.Endpoint] {
			continue
		}
		before, _ := s.Verdicts.Get(v.Endpoint)
		s.Verdicts.set(v.Endpoint, v)
		if before.Health != v.Health {
			s.event(index, cmd, "verdict", v.Endpoint, fmt.Sprintf("%s → %s (%d up, %d down of %d voting)",
				before.Health, v.Health, v.UpVotes, v.DownVotes, v.Voters)+evidenceText(v))
		}
	}
}

func evidenceText(v model.Verdict) string {
	var parts []string
	for _, e := range v.Evidence {
		part := e.Vantage + "=" + e.State.String()
		if e.Last.Reason != "" && e.Last.Reason != model.ReasonOK {
			part += " (" + string(e.Last.Reason) + ")"
		}
		if !e.Fresh {
			part += " stale"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func (s *State) setOverride(index uint64, cmd *Command) error {
	o := cmd.Override
	if o == nil {
		return wrap(ErrInvalid, "set-override without an override")
	}
	if !s.endpointNames()[o.Endpoint] {
		return wrap(ErrUnknownEndpoint, "%q", o.Endpoint)
	}
	if !slices.Contains([]OverrideKind{Drain, ForceUp, ForceDown}, o.Kind) {
		return wrap(ErrInvalid, "override kind %q (use drain, force-up or force-down)", o.Kind)
	}
	o.Who, o.Why, o.Created = cmd.Who, cmd.Why, cmd.At
	s.overrides()[o.Endpoint] = *o
	detail := string(o.Kind)
	if !o.Expires.IsZero() {
		detail += " until " + o.Expires.UTC().Format(time.RFC3339)
	}
	s.event(index, cmd, string(o.Kind), o.Endpoint, detail)
	return nil
}

func (s *State) clearOverride(index uint64, cmd *Command) error {
	o, ok := s.Overrides[cmd.Endpoint]
	if !ok {
		return wrap(ErrInvalid, "endpoint %q has no override to clear", cmd.Endpoint)
	}
	delete(s.overrides(), cmd.Endpoint)
	s.event(index, cmd, "clear-"+string(o.Kind), cmd.Endpoint, fmt.Sprintf("%s by %s cleared", o.Kind, o.Who))
	return nil
}

// expire removes overrides whose time has passed at the command's time,
// in name order so the events come in the same order on every node. Every
// command comes through here, so it sorts only when something expires.
func (s *State) expire(index uint64, cmd *Command) {
	if !s.anyExpired(cmd.At) {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(s.Overrides)) {
		if o := s.Overrides[name]; !o.Active(cmd.At) {
			delete(s.overrides(), name)
			// The event names who set the override and why, not the command that noticed.
			s.event(index, &Command{At: cmd.At, Who: o.Who, Why: o.Why}, "expire-"+string(o.Kind), name,
				string(o.Kind)+" expired")
		}
	}
}

func (s *State) anyExpired(at time.Time) bool {
	for _, o := range s.Overrides {
		if !o.Active(at) {
			return true
		}
	}
	return false
}

func (s *State) setMember(index uint64, cmd *Command) error {
	m := cmd.Member
	if m == nil || m.Name == "" {
		return wrap(ErrInvalid, "set-member without a member name")
	}
	if s.Members[m.Name] == *m {
		return nil
	}
	s.members()[m.Name] = *m
	s.event(index, cmd, "member", "", fmt.Sprintf("node %s at %s in %s", m.Name, m.Address, m.Location))
	return nil
}

func (s *State) removeMember(index uint64, cmd *Command) error {
	if cmd.Member == nil {
		return wrap(ErrInvalid, "remove-member without a member")
	}
	if _, ok := s.Members[cmd.Member.Name]; !ok {
		return nil
	}
	delete(s.members(), cmd.Member.Name)
	s.event(index, cmd, "member-removed", "", "node "+cmd.Member.Name+" removed")
	return nil
}

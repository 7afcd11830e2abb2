// Package state is outlast's replicated state machine: the configuration the
// cluster runs, the verdicts the leader decided with their evidence, the
// operators' overrides, the members' locations and a bounded event history.
// Every node applies the same commands in the same order (through Raft) and
// so holds the same State. Apply is deterministic: it reads no clock and no
// randomness, only the command, whose time the proposer stamped.
package state

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// MaxEvents bounds the event history; the oldest events are dropped first.
const MaxEvents = 1000

// State is everything the cluster agrees on.
type State struct {
	Config    *AppliedConfig      `json:"config,omitempty"`
	Verdicts  Verdicts            `json:"verdicts"`
	Overrides map[string]Override `json:"overrides"`
	Members   map[string]Member   `json:"members"`
	// Primaries are the agreed primaries of policy primary services, by
	// service name.
	Primaries map[string]Primary `json:"primaries,omitempty"`
	// Gates are the gating rules operators turned off or on again, by
	// name; a gate not here is on.
	Gates map[string]Gate `json:"gates,omitempty"`
	// Cookies are the DNS server cookie secrets every node answers with
	// (RFC 9018), rotated by the leader; nil before the first.
	Cookies *CookieSecrets `json:"cookies,omitempty"`
	Events  []Event        `json:"events"`
	// NextEvent is the sequence number the next event gets.
	NextEvent uint64 `json:"next_event"`
	// Index is the Raft index of the last command applied.
	Index uint64 `json:"index"`
	// V is the highest protocol version of the commands applied, which a
	// node needs to read this State from a snapshot; absent (0) means 1.
	// It stays last in the JSON: snapshot.WriteTo counts on the order.
	V int `json:"v,omitempty"`

	// names caches the configuration's endpoint names for Apply, which
	// needs them with every command; namesOf is the configuration version
	// they belong to. Derived, so neither serialized nor cloned.
	names   map[string]bool
	namesOf uint64
	// shared marks the maps this State shares with the State it was
	// derived from (derive), which readers may hold: Apply copies such a
	// map before its first write (writable). The zero value shares
	// nothing, so a State from New, Clone or a literal is written in place.
	// Verdicts, the largest part, keeps track of what it shares itself.
	shared sharedMaps
}

// sharedMaps says which of a State's maps belong to an older State too.
type sharedMaps struct{ overrides, members, primaries, gates bool }

// AppliedConfig is the replicated configuration with its version.
type AppliedConfig struct {
	// Version counts configuration changes, from 1.
	Version uint64        `json:"version"`
	Hash    string        `json:"hash"`
	Shared  config.Shared `json:"shared"`
	At      time.Time     `json:"at"`
	Who     string        `json:"who"`
}

// OverrideKind is what an operator forces on an endpoint.
type OverrideKind string

// Override kinds.
const (
	Drain     OverrideKind = "drain"      // never answered, still probed
	ForceUp   OverrideKind = "force-up"   // answered whatever the probes say
	ForceDown OverrideKind = "force-down" // judged down whatever the probes say
)

// Override is an operator's decision about one endpoint.
type Override struct {
	Endpoint string       `json:"endpoint"`
	Kind     OverrideKind `json:"kind"`
	Who      string       `json:"who"`
	Why      string       `json:"why"`
	Created  time.Time    `json:"created"`
	// Expires is when the override lapses on its own; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// Active reports whether the override is in force at now.
func (o Override) Active(now time.Time) bool {
	return o.Expires.IsZero() || now.Before(o.Expires)
}

// Member is a node of the cluster as a vantage point.
type Member struct {
	Name     string         `json:"name"`
	Address  string         `json:"address"`
	Location model.Location `json:"location"`
}

// Event is one entry of the history: what changed, who did it and why.
type Event struct {
	Seq      uint64    `json:"seq"`
	Index    uint64    `json:"index"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Endpoint string    `json:"endpoint,omitempty"`
	Who      string    `json:"who,omitempty"`
	Why      string    `json:"why,omitempty"`
	Detail   string    `json:"detail"`
}

// New returns the empty state a cluster starts from.
func New() *State {
	return &State{
		Overrides: map[string]Override{},
		Members:   map[string]Member{},
	}
}

// Clone returns a copy that shares nothing Apply changes with s, so the
// copy can be applied to while readers hold s. What Apply only ever replaces
// whole is shared rather than copied: the configuration's Shared part and
// each verdict's evidence (a new verdict brings its own). Copying the
// evidence of every verdict made one verdict change at 10,000 endpoints
// cost 7 ms and 12 MB (BenchmarkApplyOneVerdict, when Machine cloned).
//
// Machine does not clone: it derives each new State from the last
// (derive). Clone is for those who apply commands to a State of their own.
func (s *State) Clone() *State {
	out := &State{
		Verdicts:  s.Verdicts.clone(),
		Overrides: maps.Clone(s.Overrides),
		Members:   maps.Clone(s.Members),
		Primaries: maps.Clone(s.Primaries),
		Gates:     maps.Clone(s.Gates),
		Cookies:   s.Cookies, // replaced whole, never edited
		Events:    slices.Clone(s.Events),
		NextEvent: s.NextEvent,
		Index:     s.Index,
		V:         s.V,
	}
	if s.Config != nil {
		c := *s.Config
		out.Config = &c
	}
	return out
}

// derive returns the State that the next command is applied to: a shallow
// copy of s that shares its maps until Apply writes one (writable copies
// that map alone; Verdicts copies only the shard it writes), and its
// history's array, which Apply only appends to
// past the end s sees and drops from by reslicing, never writing what s
// holds. So s stays as it was for its readers while the copy moves on, and
// a command costs what it changes rather than the size of the state
// (BenchmarkApply: one verdict change at 10,000 endpoints).
//
// Appending in place is safe only along one line of States: each State is
// derived from at most once, and only the newest is applied to. Machine
// keeps to that under its lock; anyone else gets an independent State from
// Clone.
func (s *State) derive() *State {
	next := *s // the endpoint-name cache comes along: it is replaced, never edited
	next.Verdicts = s.Verdicts.share()
	next.shared = sharedMaps{overrides: true, members: true, primaries: true, gates: true}
	return &next
}

// writable returns *m ready for writing: *m itself, or when *shared says an
// older State holds it too, a copy that replaces it (and is then owned).
func writable[V any](m *map[string]V, shared *bool) map[string]V {
	switch {
	case *m == nil: // a snapshot's "null"
		*m = map[string]V{}
	case *shared:
		*m = maps.Clone(*m)
	}
	*shared = false
	return *m
}

func (s *State) overrides() map[string]Override {
	return writable(&s.Overrides, &s.shared.overrides)
}

func (s *State) members() map[string]Member {
	return writable(&s.Members, &s.shared.members)
}

func (s *State) primaries() map[string]Primary {
	return writable(&s.Primaries, &s.shared.primaries)
}

func (s *State) gates() map[string]Gate {
	return writable(&s.Gates, &s.shared.gates)
}

// event appends to the history, dropping the oldest beyond MaxEvents. It
// drops by reslicing, not by moving the kept events down, because a State
// derived from s shares the array (derive); append moves the kept events
// to a new array once the old one is full.
func (s *State) event(index uint64, cmd *Command, kind, endpoint, detail string) {
	s.Events = append(s.Events, Event{
		Seq: s.NextEvent, Index: index, At: cmd.At, Kind: kind,
		Endpoint: endpoint, Who: cmd.Who, Why: cmd.Why, Detail: detail,
	})
	s.NextEvent++
	if over := len(s.Events) - MaxEvents; over > 0 {
		s.Events = s.Events[over:]
	}
}

// version is the State's protocol version: 1 when it records none.
func (s *State) version() int { return max(s.V, 1) }

// endpointNames is the set of endpoints the current configuration has.
func (s *State) endpointNames() map[string]bool {
	if s.Config == nil {
		return nil
	}
	if s.names != nil && s.namesOf == s.Config.Version {
		return s.names
	}
	names := map[string]bool{}
	for _, svc := range s.Config.Shared.Services {
		for _, e := range svc.Endpoints {
			names[e.Name] = true
		}
	}
	s.names, s.namesOf = names, s.Config.Version
	return names
}

func wrap(err error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{err}, args...)...)
}

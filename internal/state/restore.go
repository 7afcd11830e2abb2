package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"outlast/internal/primary"
)

// Restore is a backup's state proposed to replace the cluster's
// (RestoreState): disaster recovery, a new cluster seeded through its own
// log so every member applies the same restored state.
//
// What the backup brings is what operators and the cluster decided: the
// configuration with its version, the overrides, the primaries (so their
// epochs, the fencing tokens, continue and are never issued twice), the
// gates and the event history. What the running cluster keeps is what
// describes itself now: its members (the backup's may be gone or moved),
// its DNS cookie secrets, and its verdicts, which its own probes decided
// and its leader's engine starts from; a backup's verdicts would be old
// news that the engine, not knowing them, might never correct.
type Restore struct {
	// State is the backup's state in the snapshot format (WriteJSON).
	State json.RawMessage `json:"state"`
	// Index is the Raft index the backup was taken at and TakenAt when;
	// they go into the restore's event.
	Index   uint64    `json:"index"`
	TakenAt time.Time `json:"taken_at"`
	// Force replaces a state that has history of its own (History).
	Force bool `json:"force,omitempty"`
}

// EventRestore is the kind of the event a restore records.
const EventRestore = "restore"

// WriteJSON writes s in the snapshot format, which ParseSnapshot, Restore
// and Machine.Restore read. s must be a published State (not written to).
func (s *State) WriteJSON(w io.Writer) (int64, error) { return snapshot{s}.WriteTo(w) }

// ParseSnapshot reads a State in the snapshot format.
func ParseSnapshot(data []byte) (*State, error) {
	out := New()
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("state: snapshot: %w", err)
	}
	return out, nil
}

// ParseBackupState reads a backup's state (Restore.State) as RestoreState
// does: a snapshot that holds a configuration. The API calls it to refuse
// what the state machine would refuse before it costs a Raft entry.
func ParseBackupState(data []byte) (*State, error) {
	b, err := ParseSnapshot(data)
	if err != nil {
		return nil, err
	}
	if b.Config == nil {
		return nil, errors.New("the backup holds no configuration")
	}
	return b, nil
}

// History says what in s operators made, which a restore would replace: a
// configuration changed since the first, overrides, gates, or an event
// with a reason that is not the leader's own (every operator's write
// records one). "" for a new cluster's state: its first configuration,
// members, verdicts and automatic primaries are made again by any cluster.
func (s *State) History() string {
	switch {
	case s.Config != nil && s.Config.Version > 1:
		return fmt.Sprintf("configuration version %d", s.Config.Version)
	case len(s.Overrides) > 0:
		return fmt.Sprintf("%d override(s)", len(s.Overrides))
	case len(s.Gates) > 0:
		return fmt.Sprintf("%d gate(s) set by operators", len(s.Gates))
	}
	for i := len(s.Events) - 1; i >= 0; i-- {
		if e := s.Events[i]; e.Kind == EventRestore || (e.Why != "" && e.Who != primary.Auto) {
			return fmt.Sprintf("event %d: %s by %s", e.Seq, e.Kind, e.Who)
		}
	}
	return ""
}

// restore applies RestoreState (see Restore for what is replaced).
func (s *State) restore(index uint64, cmd *Command) error {
	r := cmd.Restore
	if r == nil {
		return wrap(ErrInvalid, "restore-state without a state")
	}
	b, err := ParseBackupState(r.State)
	if err != nil {
		return wrap(ErrInvalid, "restore-state: %v", err)
	}
	if h := s.History(); h != "" && !r.Force {
		return wrap(ErrInvalid, "this cluster has history of its own (%s), which a restore would replace; "+
			"restore into a new cluster, or force it", h)
	}
	s.Config, s.names = b.Config, nil // the name cache is keyed by version, which may not change
	s.Overrides, s.Primaries, s.Gates = b.Overrides, b.Primaries, b.Gates
	s.shared.overrides, s.shared.primaries, s.shared.gates = false, false, false
	s.dropUnknown()
	events := b.Events
	if over := len(events) - MaxEvents; over > 0 {
		events = events[over:]
	}
	s.Events, s.NextEvent = events, max(b.NextEvent, s.NextEvent)
	s.event(index, cmd, EventRestore, "", fmt.Sprintf("state restored from a backup taken at index %d at %s: configuration version %d (hash %s), %d override(s), %d event(s)",
		r.Index, r.TakenAt.UTC().Format(time.RFC3339), b.Config.Version, b.Config.Hash, len(s.Overrides), len(events)))
	return nil
}

// dropUnknown drops the verdicts and overrides of endpoints the
// configuration does not have, and the primaries of services it does not
// make primary: after a new configuration, and after a restore (the
// running cluster's verdicts were decided under its own configuration).
func (s *State) dropUnknown() {
	kept := s.endpointNames()
	var dropped []string
	for name := range s.Verdicts.All() {
		if !kept[name] {
			dropped = append(dropped, name)
		}
	}
	for _, name := range dropped {
		s.Verdicts.delete(name)
	}
	for name := range s.Overrides {
		if !kept[name] {
			delete(s.overrides(), name)
		}
	}
	s.dropPrimaries()
}

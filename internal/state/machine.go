package state

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
)

// Machine adapts State to the Raft log: it decodes commands, applies them
// one at a time and publishes an immutable copy after each, so readers
// (the DNS answers, the API) never lock against Apply.
type Machine struct {
	mu        sync.Mutex // serializes Apply and Restore
	state     *State
	published atomic.Pointer[State]
	onChange  func(*State)
}

// NewMachine returns a Machine holding an empty State. onChange, if not nil,
// is called after every applied command and restore with the new published
// State; it must not block for long (Raft waits for it).
func NewMachine(onChange func(*State)) *Machine {
	m := &Machine{state: New(), onChange: onChange}
	m.published.Store(m.state.Clone())
	return m
}

// Current returns the latest published State. Callers must not modify it.
func (m *Machine) Current() *State { return m.published.Load() }

// Apply decodes and applies one command from the log.
func (m *Machine) Apply(index uint64, data []byte) error {
	cmd, err := Decode(data)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.state.Index = index // a refused entry still moves the index readers wait for
	} else {
		err = m.state.Apply(index, cmd)
	}
	m.publish()
	return err
}

// Snapshot serializes the state.
func (m *Machine) Snapshot() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return json.Marshal(m.state)
}

// Restore replaces the state with a snapshot's.
func (m *Machine) Restore(data []byte) error {
	restored := New()
	if err := json.Unmarshal(data, restored); err != nil {
		return fmt.Errorf("state: restore: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = restored
	m.publish()
	return nil
}

func (m *Machine) publish() {
	snap := m.state.Clone()
	m.published.Store(snap)
	if m.onChange != nil {
		m.onChange(snap)
	}
}

package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Machine adapts State to the Raft log: it decodes commands and applies them
// one at a time, each to a new State derived from the last, and publishes
// every State it makes. A published State is never written again, so
// readers (the DNS answers, the API) hold it without locking against Apply,
// and a snapshot is a pointer to it.
//
// A new State shares with the one before it everything its command leaves
// alone (derive): applying a command costs what the command changes, not a
// copy of the whole state.
type Machine struct {
	mu        sync.Mutex // serializes Apply and Restore: one line of States
	published atomic.Pointer[State]
	onChange  func(*State)
}

// NewMachine returns a Machine holding an empty State. onChange, if not nil,
// is called after every applied command and restore with the new published
// State; it must not block for long (Raft waits for it).
func NewMachine(onChange func(*State)) *Machine {
	m := &Machine{onChange: onChange}
	m.published.Store(New())
	return m
}

// Current returns the latest published State. It is shared with every other
// reader and with the States Apply derives from it, so callers must not
// modify it (not even append to its Events); Clone gives a State to edit.
func (m *Machine) Current() *State { return m.published.Load() }

// Apply decodes and applies one command from the log.
func (m *Machine) Apply(index uint64, data []byte) error {
	cmd, err := Decode(data)
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.published.Load().derive()
	if err != nil {
		next.Index = index // a refused entry still moves the index readers wait for
	} else {
		err = next.Apply(index, cmd)
	}
	m.publish(next)
	return err
}

// Snapshot captures the latest published State for raft to persist. Raft
// calls it on the goroutine that applies the log, between two Applies, and
// applies nothing until it returns; the capture is a pointer, since a
// published State never changes, and WriteTo does the serialization later,
// on raft's snapshot goroutine, concurrently with further Applies.
func (m *Machine) Snapshot() (io.WriterTo, error) {
	return snapshot{m.published.Load()}, nil
}

// snapshot is a captured State waiting to be written out.
type snapshot struct{ s *State }

// WriteTo writes the State as JSON, the format Restore reads (and every
// snapshot already on disk holds: testdata/snapshot-v1.json). The verdicts,
// most of it, are streamed in the place encoding/json gives them (after the
// config, which is left out of the rest so that the verdicts come first);
// a whole Marshal would check and copy their megabytes once more.
func (s snapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	rest := *s.s
	rest.Config, rest.Verdicts = nil, Verdicts{}
	tail, err := json.Marshal(&rest)
	if err != nil {
		return 0, fmt.Errorf("state: snapshot: %w", err)
	}
	const empty = `{"verdicts":{}`
	if !bytes.HasPrefix(tail, []byte(empty)) {
		return 0, fmt.Errorf("state: snapshot: the State's JSON no longer starts with its verdicts")
	}
	cw.WriteString(`{`)
	if s.s.Config != nil {
		config, err := json.Marshal(s.s.Config)
		if err != nil {
			return 0, fmt.Errorf("state: snapshot: %w", err)
		}
		cw.WriteString(`"config":`)
		cw.Write(config)
		cw.WriteString(`,`)
	}
	cw.WriteString(`"verdicts":`)
	if err := s.s.Verdicts.writeJSON(cw); err != nil {
		return cw.n, fmt.Errorf("state: snapshot: %w", err)
	}
	cw.Write(tail[len(empty):])
	return cw.n, cw.err
}

// countingWriter counts what it wrote and keeps the first error, after
// which it writes nothing.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func (c *countingWriter) WriteString(s string) { c.Write([]byte(s)) }

// Restore replaces the state with a snapshot's.
func (m *Machine) Restore(data []byte) error {
	restored := New()
	if err := json.Unmarshal(data, restored); err != nil {
		return fmt.Errorf("state: restore: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publish(restored)
	return nil
}

func (m *Machine) publish(s *State) {
	m.published.Store(s)
	if m.onChange != nil {
		m.onChange(s)
	}
}

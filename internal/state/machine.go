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
	// halted is set when an entry could not be understood (Halt): from
	// then on the Machine applies nothing and takes no snapshot.
	halted atomic.Pointer[Halt]
	// clusterVersion, when set (GateBy), is the cluster version Check
	// gates new command kinds by.
	clusterVersion atomic.Pointer[func() int]
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
//
// An entry this build does not understand (it does not decode, or
// Understood refuses it: a newer protocol version, an unknown kind) halts
// the Machine: skipping it, as a refused command is skipped, would leave
// this node's state apart from the nodes that applied it, for good, since
// its snapshots would carry the difference on. Halted, the Machine keeps
// its last State, applies nothing more and takes no snapshot (so the log
// from its last snapshot on stays, and the upgraded build replays it);
// Halted says why. The leader refuses such commands before they reach
// the log (Check), so only a newer leader can commit one, and it does so
// only once every voter speaks its version (Allowed).
func (m *Machine) Apply(index uint64, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h := m.halted.Load(); h != nil {
		return h
	}
	cmd, err := Decode(data)
	if err == nil {
		err = Understood(cmd)
	}
	if err != nil {
		h := &Halt{Index: index, Err: err}
		m.halted.Store(h)
		return h
	}
	next := m.published.Load().derive()
	err = next.Apply(index, cmd)
	m.publish(next)
	return err
}

// Check returns an error when cmd is a command this build could not
// apply (it does not decode, its kind is unknown or its version newer than
// ProtocolVersion). The cluster asks before it proposes a command, so the
// leader refuses it instead of committing an entry that would halt the
// Machines that meet it.
//
// With GateBy set, Check also refuses a kind newer than the cluster version
// (Allowed): the cluster checks on the node that proposes and again on the
// leader, so a command reaches the log only when every voter can apply it.
func (m *Machine) Check(data []byte) error {
	cmd, err := Decode(data)
	if err != nil {
		return wrap(ErrInvalid, "%v", err)
	}
	if err := Understood(cmd); err != nil {
		return err
	}
	if f := m.clusterVersion.Load(); f != nil {
		// Unknown (0: a voter does not answer) gates as 1: the member
		// that does not answer may come back of any build.
		return Allowed(cmd.Kind, max((*f)(), 1))
	}
	return nil
}

// GateBy makes Check gate command kinds by the cluster version f returns
// (0 while it is unknown). Without it, Check gates by nothing but this
// build's own version (a node on its own, tests).
func (m *Machine) GateBy(f func() int) { m.clusterVersion.Store(&f) }

// Stopped is Halted as an error, for the cluster (cluster.Stopper).
func (m *Machine) Stopped() error {
	if h := m.halted.Load(); h != nil {
		return h
	}
	return nil
}

// Halted returns why the Machine stopped applying the log, or nil while
// it applies.
func (m *Machine) Halted() *Halt { return m.halted.Load() }

// Snapshot captures the latest published State for raft to persist. Raft
// calls it on the goroutine that applies the log, between two Applies, and
// applies nothing until it returns; the capture is a pointer, since a
// published State never changes, and WriteTo does the serialization later,
// on raft's snapshot goroutine, concurrently with further Applies.
//
// A halted Machine takes no snapshot: its State stops short of the index
// raft would record it at, and the log after its last snapshot is what
// the upgraded build must replay.
func (m *Machine) Snapshot() (io.WriterTo, error) {
	if h := m.halted.Load(); h != nil {
		return nil, h
	}
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

// Restore replaces the state with a snapshot's. A snapshot of a protocol
// version newer than ProtocolVersion is refused (the State stays), since
// this build could misread it; one it can read ends a halt, since it
// replaces everything the halt kept.
func (m *Machine) Restore(data []byte) error {
	restored := New()
	if err := json.Unmarshal(data, restored); err != nil {
		return fmt.Errorf("state: restore: %w", err)
	}
	if v := restored.version(); v > ProtocolVersion {
		return fmt.Errorf("state: restore: %w: the snapshot is of protocol version %d; this build speaks %d: upgrade it",
			ErrNewerVersion, v, ProtocolVersion)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.halted.Store(nil)
	m.publish(restored)
	return nil
}

func (m *Machine) publish(s *State) {
	m.published.Store(s)
	if m.onChange != nil {
		m.onChange(s)
	}
}

package cluster

import (
	"fmt"
	"io"

	"github.com/hashicorp/raft"
)

// Machine is the replicated state machine. Every node applies the same
// commands in the same order, so Apply must be deterministic: no clock, no
// randomness, no map iteration order leaking into the state.
type Machine interface {
	// Apply applies one committed command at its log index. The error is
	// the Machine's verdict on the command (say, a config that does not
	// validate); it is returned to whoever proposed it, wrapped in
	// ErrRejected, and is no raft failure: the entry stays in the log and
	// every node reaches the same verdict.
	Apply(index uint64, command []byte) error
	// Snapshot captures the state as it stands after the last Apply. Raft
	// calls it on the goroutine that applies the log and applies nothing
	// until it returns, so it must be quick: capture, don't serialize (a
	// pointer to state that later Applies never write is ideal). Raft then
	// calls the result's WriteTo on another goroutine, concurrently with
	// further Applies, to write the bytes Restore reads into the snapshot
	// store; that is where the serialization belongs, and it must read only
	// what those Applies leave alone.
	Snapshot() (io.WriterTo, error)
	// Restore replaces the whole state with bytes a snapshot's WriteTo wrote.
	Restore(data []byte) error
}

// fsm adapts a Machine to raft.FSM.
type fsm struct{ m Machine }

// Apply returns the Machine's error as the log's response, which raft hands
// to the ApplyFuture on the leader.
func (f fsm) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	return f.m.Apply(l.Index, l.Data)
}

// Snapshot only captures (Machine.Snapshot); Persist writes.
func (f fsm) Snapshot() (raft.FSMSnapshot, error) {
	w, err := f.m.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("cluster: machine snapshot: %w", err)
	}
	return fsmSnapshot{w}, nil
}

func (f fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("cluster: read snapshot: %w", err)
	}
	if err := f.m.Restore(data); err != nil {
		return fmt.Errorf("cluster: machine restore: %w", err)
	}
	return nil
}

// fsmSnapshot holds a Machine's captured state until raft persists it.
type fsmSnapshot struct{ w io.WriterTo }

// Persist serializes the captured state into the sink. Raft calls it off
// the goroutine that applies the log, so the cost of writing a large state
// holds up no command.
func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.w.WriteTo(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("cluster: write snapshot: %w", err)
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}

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
	// Snapshot serializes the whole state. It runs on raft's FSM goroutine
	// between two Applies, so it should be quick; cluster writes the bytes
	// out to disk later, concurrently with further Applies.
	Snapshot() ([]byte, error)
	// Restore replaces the whole state with a snapshot's bytes.
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

func (f fsm) Snapshot() (raft.FSMSnapshot, error) {
	data, err := f.m.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("cluster: machine snapshot: %w", err)
	}
	return fsmSnapshot(data), nil
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

// fsmSnapshot holds serialized state until raft persists it.
type fsmSnapshot []byte

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return fmt.Errorf("cluster: write snapshot: %w", err)
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}

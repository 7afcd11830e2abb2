package cluster

import "errors"

// Errors returned by Cluster methods; test them with errors.Is. Errors are
// wrapped with detail, so compare with errors.Is, never with ==.
var (
	// ErrNoLeader: no leader was known, or none could be reached, before the
	// context ended. The proposal was not taken.
	ErrNoLeader = errors.New("no leader")

	// ErrRejected: the command was committed to the log, but the leader's
	// Machine.Apply returned an error for it. The error text follows, and
	// RejectionCode gives the error's code (when it has a Code method); on
	// the leader itself the Machine's error is wrapped too. Match on the
	// code, never on the text.
	ErrRejected = errors.New("rejected by the state machine")

	// ErrUncertain: the proposal reached the leader (or may have), but no
	// answer came back: the leader lost leadership, died or the context
	// ended while it was committing. It may or may not take effect.
	ErrUncertain = errors.New("outcome unknown")

	// ErrShutdown: this node's cluster has been shut down (by Shutdown, or
	// by raft when it saw this node removed from the cluster).
	ErrShutdown = errors.New("cluster is shut down")

	// ErrNoRPC: the command must be forwarded to another node, but this node
	// has no cluster RPC (it runs on a custom Options.Transport).
	ErrNoRPC = errors.New("no cluster RPC on this node")
)

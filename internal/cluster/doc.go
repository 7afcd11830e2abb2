// Package cluster owns the plumbing that makes several outlast nodes agree:
// hashicorp/raft membership and log replication, the mutual-TLS transport
// between nodes, and forwarding of proposals to the leader.
//
// It knows nothing of outlast's state. The replicated state machine is a
// Machine that someone else writes; cluster only orders the commands every
// node applies to it, takes and restores its snapshots, and hands the
// Machine's verdict on a command back to whoever proposed it.
//
// # One port, one CA
//
// Each node listens on a single TCP port. Every connection is TLS with
// client certificates required and verified against the cluster CA, so a
// peer whose certificate is not from that CA never gets past the handshake:
// holding a certificate from the cluster CA is what makes a node a member
// that may propose commands, join or remove peers. After the handshake the
// dialer writes one byte that says what the connection carries:
//
//	'R'  a raft stream (raft.NetworkTransport's wire protocol)
//	'H'  HTTP/1.1 for the cluster RPC: /cluster/v1/apply, /join, /remove and
//	     /status served here, every other path by Options.Handler
//
// # Proposals go to the leader
//
// Apply, Join, Remove and Post may be called on any node. On the leader
// they act directly; on a follower they are forwarded to the leader over the
// cluster RPC. While no leader is known (an election, a partition) they
// retry until their context ends, but only when the proposal surely was not
// taken: an outcome that may or may not have been committed is reported as
// ErrUncertain and never retried, so a command is not applied twice behind
// the caller's back.
//
// # Faults a stranger or a disk can repeat
//
// Whoever reaches the port can fail a handshake as often as it likes, and
// raft repeats its errors for as long as a fault lasts. Such lines are
// sampled: the first of a kind from a source is logged, the rest are
// counted and summarized once per 10 s (Refused counts the refusals for
// metrics). Every write to raft's log, stable and snapshot stores is
// watched, so a node whose disk is full says so in Status (PersistError)
// while it still hears the leader's heartbeats.
package cluster

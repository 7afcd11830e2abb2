// Package chaos is outlast's Jepsen-style suite: a three-node cluster of
// real `outlast serve` processes under a client that asks every node for a
// name 20 times a second and records every answer, while a seeded scheduler
// injects faults at random moments — the leader SIGKILLed (once right after
// a backend died, while the verdict changes), a node frozen with SIGSTOP,
// a node partitioned from the other two (nftables, root only), a node's data
// disk full (tmpfs, root only), a backend dying during each, and overrides
// applied through the API. TestChaos runs it, on Linux; OUTLAST_CHAOS_SEED
// replays a schedule and OUTLAST_CHAOS_DURATION sets its length (default 60s).
//
// The checker (Check) is pure: it reads the recorded History and reports
//
//   - failed_live: queries that failed or came back empty while the node
//     asked was live (not killed, not restarting, not frozen). A partitioned
//     node or one whose disk is full is live: it must keep answering from
//     its last agreed state.
//   - split-brain windows: stretches where nodes in contact with the cluster
//     (not killed, frozen or partitioned, and back in contact after such a
//     fault) answered different address sets, and how many lasted longer
//     than SplitBound.
//   - down_answers: answers holding an endpoint that both the answering
//     node's agreed state (/healthz "health") and its own latest probe
//     (/healthz "last_probe") said was down, in its report at least
//     RebuildGrace before the query and in its first report after it.
//   - lost overrides: overrides whose request was acknowledged but that a
//     node's final override set lacks (or a clear acknowledged that a node
//     still holds).
//
// The split-brain bound is Raft commit plus answer rebuild, stated as
// SplitBound = 1 s. Commit: the leader commits after one loopback round trip
// to a follower (under 5 ms), and a follower learns the commit index with the
// leader's next AppendEntries, sent at the latest after raft's CommitTimeout
// (50 ms, randomized up to 100 ms; a heartbeat carries no commit index).
// Rebuild: every answer
// is recomputed after each applied change (1.5 ms at 100 services × 100
// endpoints, internal/node's benchmark). The client samples each node every
// 50 ms, so a window reads up to 50 ms long at each end. That is about 200 ms;
// the bound leaves five times that for a loaded CI machine running the race
// detector, and the suite prints the longest window it measured (max_split_ms)
// so the margin stays visible.
package chaos

// Package xfr serves outlast's zones to secondaries at other DNS providers
// (Knot, BIND, NS1, Cloudflare): it keeps a journal of recent zone versions,
// computes the incremental differences between them, builds the records of
// AXFR (RFC 5936) and IXFR (RFC 1995) responses, decides which secondaries
// may transfer (an ACL of addresses and TSIG keys), and sends NOTIFY
// (RFC 1996) when a zone changes, retrying until each secondary answers.
//
// # The model
//
// A Version is the whole zone exactly as outlast answers it at one moment,
// SOA first. For a steered name that is the current answer; for a geo
// service it is the answer of the default area, because a secondary has no
// client address to steer by and serves one answer to everyone. Each time
// a health verdict (or a config change) alters what the zone answers, the
// server builds a new Version with a larger serial and adds it to the
// Journal, then calls Notifier.Notify with the new SOA. A secondary then asks
// IXFR with its serial; the journal gives it only the records that changed
// since, or the whole zone when its serial is older than the journal reaches.
//
// Everything here except the Notifier is pure: no goroutines, no clock, no
// sockets. Journal is safe for concurrent use (one writer adding versions,
// many transfers reading).
//
// # Serials must never go backwards
//
// A secondary that holds serial S ignores every zone whose serial is not
// greater than S in RFC 1982 arithmetic (zoneserial.Less). If a new leader, or a
// node restarted with an empty journal, published a smaller serial, every
// secondary would keep the old answers silently until the serial overtook
// it again: the failover would not reach them. So the serial must be
// derived from replicated state, not from a node's memory or clock. The
// recommendation is the Raft log index of the last committed entry that
// changed the zone's answers (or a counter kept in the FSM and bumped by
// such entries): every node computes the same serial for the same zone
// content, it only grows, it survives leader changes and restarts, and a
// node that restarts rebuilds the same serial from its snapshot and log.
// Wall-clock serials (YYYYMMDDnn, Unix time) are worse: clocks differ
// between nodes and a change applied twice in one second needs two serials.
// A Raft index grows by far less than 2^31 between two transfers, so
// RFC 1982 comparisons stay defined; if the index ever exceeds 2^32 the
// serial wraps and RFC 1982 arithmetic still orders it correctly.
//
// The journal is held in memory on each node and is not replicated: after a
// restart, a secondary asking IXFR from an older serial gets the full zone
// (AXFR form inside the IXFR response, which RFC 1995 §4 allows and every
// secondary accepts). Knot's journal keeps the same kind of history
// (changesets, bounded by journal-max-depth, default 20, and
// journal-max-usage, default 100 MiB); here the bounds are Limits.
//
// # How it is wired
//
// internal/dnsserver serves the transfers (transfer.go, tsig.go): over TCP
// it checks ACLs.Allow with the remote address and the TSIG status,
// answers REFUSED when not allowed, and streams Journal.AXFR or
// Journal.IXFR (the serial of the SOA in the request's authority section)
// one message per slice, each TSIG-signed when the request was; over UDP
// it answers IXFR with the single current SOA and refuses AXFR. Its TSIG
// keys are those of the zones' ACLs, and replies to any query signed with
// one of them are signed. Snapshot.ZoneVersion exports a zone as the
// server answers it (geo names as the default area, see dnsserver's
// export.go) and internal/secondarytest holds the whole against real Knot
// and BIND secondaries.
//
// What the node must still do:
//
//   - Keep one Journal per zone, and after each Server.Swap call
//     Snapshot.ZoneVersion and Journal.AddIfChanged on every node (any node
//     may be asked for a transfer). The serial is the snapshot's SOA serial,
//     so it must grow with every change of the zone's answers, steered
//     answers included (see "Serials must never go backwards").
//   - Give the server a dnsserver.Transfer (NewTransfer) with each zone's
//     ACLs and Journal, and replace it on a config reload (SetTransfer).
//   - Start one Notifier with the configured secondaries and call Notify
//     with the new SOA when AddIfChanged added a version (on every node: a
//     duplicate NOTIFY only costs the secondary one SOA query). A secondary
//     accepts NOTIFY only from the primaries it lists, so its config must
//     list every outlast node that may send one.
//   - Metrics from Notifier results (NotifierConfig.OnResult), the
//     server's TransferConfig.OnTransfer and OnTSIG, and Journal.Stats for
//     the journal's depth and size.
package xfr

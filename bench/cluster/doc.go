//go:build linux

// Command cluster measures a five-node outlast cluster at scale (issue 7,
// part 4): five real `outlast serve` processes on 127.0.0.41-45 agree
// through Raft over mutual TLS while each probes the same 1,000 HTTP
// endpoints, served by a separate process of this program (the "targets"
// subcommand) on 127.0.2.1-10 × 100 ports.
//
// After a warm-up in which every node agrees and every endpoint has a
// verdict, it measures over --duration seconds with nothing changing: the
// bytes each node sends and receives on its cluster port, and how many Raft
// log entries the leader applies (which should be none; any that are found
// are listed from the replicated event history). Then it stops one
// endpoint's listener and queries every node's DNS every 50 ms until all five
// have stopped answering that address. It prints a table and one summary
// line of key=value pairs.
//
//	go run ./bench/cluster --duration 60
package main

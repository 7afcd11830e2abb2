//go:build linux

// Command failover times how long authoritative DNS servers take to stop
// answering with a backend that died, and to answer with it again once it is
// back. It owns the one backend it kills: it starts it (`outlast backend`),
// waits until every server answers with it, kills it, queries every server
// every 100 ms until each answer leaves it out, restarts it, and queries
// until each answer holds it again. One kill is seen by all servers at once,
// so their times come from the same event. bench/failover/run sets up the
// servers and calls it.
package main

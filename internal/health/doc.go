// Package health owns the decision of whether an endpoint is up: it turns
// probe observations from many vantage points into one verdict per endpoint.
//
// Each (vantage, endpoint) pair has its own view with rise/fall hysteresis,
// so one lost packet does not flip anything. Every endpoint's verdict is then
// a quorum over the fresh views: a strict majority of fresh votes decides,
// and a tie, or silence, keeps the verdict as it was (static stability: never
// flip on no information). Every verdict carries its evidence, one entry per
// vantage point.
//
// The Engine is a deterministic state machine in the style of etcd's raft:
// callers feed it observations and the current time, and it returns verdict
// changes. It reads no clock, starts no goroutine, does no IO and never logs,
// so every decision can be replayed and tested without waiting. It is not safe
// for concurrent use; its owner serialises calls.
package health

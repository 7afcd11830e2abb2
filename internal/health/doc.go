// Package health owns the decision of whether an endpoint is up: it turns
// probe observations from many vantage points into one verdict per endpoint.
//
// Each (vantage, endpoint) pair has its own view with rise/fall hysteresis,
// so one lost packet does not flip anything. A view older than the staleness
// window (Options.StaleAfter check intervals, 3 by default) does not vote.
//
// Votes count per failure domain, not per vantage point, so that one region
// full of outlast nodes cannot outvote the rest. The fresh views are first
// grouped by their vantage point's Location (provider/region): each domain
// casts one vote, the majority of its own fresh views, and abstains when they
// tie or none is fresh. A vantage point without a Location is a domain of its
// own, keyed by its name, so a single node, or nodes nobody placed, keep one
// vote each. A verdict changes only when a strict majority of all known
// domains, voting or not, agrees; a tie, too few votes or silence keep the
// verdict as it was (static stability: never flip on no information, nor on
// a minority's word, such as a new leader's own view before the others
// report). docs/voting.md explains the rule with worked examples.
//
// In a model.Verdict from this package, UpVotes and DownVotes count domains
// that voted up or down, and Voters is the number of domains known, voting or
// not. Evidence stays per vantage point: one entry for each, in name order.
//
// The Engine is a deterministic state machine in the style of etcd's raft:
// callers feed it observations and the current time, and it returns verdict
// changes. It reads no clock, starts no goroutine, does no IO and never logs,
// so every decision can be replayed and tested without waiting. It is not safe
// for concurrent use; its owner serialises calls. Its sets of endpoints and
// vantage points are fixed; Rebuild makes a new engine for changed sets and
// carries the verdicts and views over.
package health

// Package api is the operator's JSON API on every node, under /api/v1/ on
// the node's HTTP listener: cluster status, services with their verdicts and
// per-vantage evidence, the current answers, overrides, the event history,
// the zones' signing and transfers, and the configuration. Reads need a token with scope read (or none, when the
// status is public); writes need scope admin and are recorded, with who and
// why, in the replicated event history. A write sent to a follower is
// forwarded to the leader by the cluster.
package api

import (
	"context"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// Backend is what the API needs from the node it runs on.
type Backend interface {
	// State is the agreed state this node applied. Callers must not modify it.
	State() *state.State
	// Config is the configuration this node runs: its own file's local parts
	// with the cluster's replicated part.
	Config() *config.Config
	// Answers is what this node's DNS server answers now.
	Answers() []model.Answer
	// ClusterInfo is this node's view of the Raft cluster as Raft knows it:
	// the API adds the members' locations, Self, Stale and the contact's age.
	ClusterInfo() wire.ClusterInfo
	// Readiness says why this node is not ready (its answers may be behind
	// the cluster's), one sentence per reason; none means ready.
	Readiness() []string
	// Info describes this node.
	Info() wire.NodeInfo
	// Resolution is what this node's resolver holds for each endpoint
	// target hostname, sorted by target.
	Resolution() []wire.Resolution
	// AreaQueries count, by client area, the geo queries this node
	// answered since it started, sorted by area.
	AreaQueries() []wire.AreaQueries
	// Zones are the zones this node serves, in configuration order, with
	// how it signs them and how secondaries follow them, as its DNS server
	// answers now; none before it answers.
	Zones() []wire.ZoneStatus
	// Observations are the latest probe results from every vantage point the
	// node can learn of: its own always, the others' through the leader
	// while it can reach it. Keyed by vantage, then endpoint.
	Observations(ctx context.Context) map[string]map[string]model.Observation
	// Propose commits a command through the leader (forwarded from a
	// follower). Errors wrap state's sentinel errors (ErrVersionConflict,
	// ErrUnknownEndpoint, ErrInvalid) when the state machine refused it.
	Propose(ctx context.Context, cmd state.Command) error
	// Now is the node's clock.
	Now() time.Time
}

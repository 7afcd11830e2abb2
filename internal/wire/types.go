package wire

import (
	"net/netip"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
)

// The API's JSON bodies. The server writes them and Client reads them, so
// the two cannot drift apart. Times are RFC 3339 in UTC; durations are
// seconds (ttl) or milliseconds (latency_ms), named by their unit.

// Prefix is where the API lives on a node's HTTP listener.
const Prefix = "/api/v1/"

// NodeInfo describes the node serving the API.
type NodeInfo struct {
	Name     string         `json:"name"`
	Location model.Location `json:"location"`
	Version  string         `json:"version"`
	Started  time.Time      `json:"started"`
	// Stale is true while the node has heard from no leader for longer than
	// cluster.stale_after: it answers from the last state it agreed on.
	Stale bool `json:"stale"`
}

// ErrorBody is every error response: a human message and a stable code
// that scripts can match on (see the Code constants).
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Error codes the API answers with.
const (
	CodeUnauthorized     = "unauthorized"       // 401: no token, or one the node does not know
	CodeForbidden        = "forbidden"          // 403: a read token asked to write
	CodeNotFound         = "not_found"          // 404: no such route
	CodeUnknownService   = "unknown_service"    // 404
	CodeUnknownEndpoint  = "unknown_endpoint"   // 404
	CodeNoOverride       = "no_override"        // 404: nothing to clear
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeBadRequest       = "bad_request"        // 400: malformed or incomplete request
	CodeVersionConflict  = "version_conflict"   // 409: the configuration changed since base_version
	CodeInvalidConfig    = "invalid_config"     // 422: the configuration has problems
	CodeNotYet           = "not_yet"            // 409: a change some member's build does not speak yet (outlast cluster status)
	CodeUnavailable      = "unavailable"        // 503: the cluster could not commit the change
)

// Status is GET /api/v1/status: this node, its view of the cluster and the
// configuration it runs.
type Status struct {
	// Ready is false while the node's answers may be behind the cluster's
	// (what /healthz/ready and /healthz answer 503 for); Reasons says why,
	// one sentence each.
	Ready   bool        `json:"ready"`
	Reasons []string    `json:"reasons,omitempty"`
	Node    NodeInfo    `json:"node"`
	Cluster ClusterInfo `json:"cluster"`
	Config  ConfigInfo  `json:"config"`
	// Resolution is what this node's resolver holds for each endpoint
	// target hostname, sorted by target; none without hostname endpoints.
	Resolution []Resolution `json:"resolution,omitempty"`
	// AreaQueries count, by client area, the queries for names with policy
	// geo this node answered since it started, sorted by area; none before
	// the first.
	AreaQueries []AreaQueries `json:"area_queries,omitempty"`
	// Now is the node's clock when it answered.
	Now time.Time `json:"now"`
}

// AreaQueries is how many geo queries one node answered for one client
// area. Area is "" for clients in no area (they get the default order).
type AreaQueries struct {
	Area    string `json:"area"`
	Queries uint64 `json:"queries"`
}

// Resolution is what one node's resolver holds for one target hostname.
type Resolution struct {
	Target string `json:"target"`
	// State is fresh (addresses within their TTL), stale (the upstream
	// fails: the last good addresses are answered and probed past their
	// TTL, up to resolver.max_stale), empty (the name has no addresses) or
	// unresolved (no address to answer: never resolved, or stale for
	// longer than max_stale).
	State string       `json:"state"`
	A     []netip.Addr `json:"a"`
	AAAA  []netip.Addr `json:"aaaa"`
	// TTLS is how many seconds an answer built from the addresses may be
	// cached now (the IPv4 family's, or the IPv6 one's when it has none).
	TTLS float64 `json:"ttl_s"`
	// Error is the last upstream failure, and FailingSince when lookups
	// began to fail; both empty while the last lookups succeeded.
	Error        string    `json:"error,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
}

// The states of a Resolution.
const (
	ResolutionFresh      = "fresh"
	ResolutionStale      = "stale"
	ResolutionEmpty      = "empty"
	ResolutionUnresolved = "unresolved"
)

// NotFresh counts the stale and the unresolved targets in rs, which
// /healthz and the status page's summary report.
func NotFresh(rs []Resolution) (stale, unresolved int) {
	for _, r := range rs {
		switch r.State {
		case ResolutionStale:
			stale++
		case ResolutionUnresolved:
			unresolved++
		}
	}
	return stale, unresolved
}

// ClusterInfo is the node's view of the Raft cluster.
type ClusterInfo struct {
	// State is this node's Raft role: Leader, Follower, Candidate or Shutdown
	// (empty for a node running on its own without Raft).
	State         string `json:"state"`
	Leader        string `json:"leader"`
	LeaderAddress string `json:"leader_address"`
	Term          uint64 `json:"term"`
	// AppliedIndex is the last Raft index this node's state applied.
	AppliedIndex uint64 `json:"applied_index"`
	CommitIndex  uint64 `json:"commit_index"`
	// LastContact is when this follower last heard from a leader (zero on
	// the leader), and LastContactAgeS how many seconds ago that was.
	LastContact     time.Time `json:"last_contact,omitzero"`
	LastContactAgeS float64   `json:"last_contact_age_s,omitempty"`
	// Stale is true while the node answers from the last state it agreed
	// on because it has not heard from a leader for too long.
	Stale bool `json:"stale"`
	// PersistError is the latest error writing this node's Raft log,
	// stable or snapshot store ("log store: ... no space left on device"),
	// PersistStore which store ("log", "stable" or "snapshot") and
	// PersistFailingSince when its writes began to fail; all empty while
	// every store's last write succeeded. A failing log or stable store
	// means the node applies nothing new (not ready).
	PersistError        string    `json:"persist_error,omitempty"`
	PersistStore        string    `json:"persist_store,omitempty"`
	PersistFailingSince time.Time `json:"persist_failing_since,omitzero"`
	// Protocol is the protocol version this node's build speaks, and
	// ClusterVersion the lowest over the voters as it last saw them (0
	// while unknown: a voter does not answer); commands introduced in a
	// version wait until ClusterVersion reaches it. Both absent from a
	// node that predates versions (it speaks 1).
	Protocol       int `json:"protocol,omitempty"`
	ClusterVersion int `json:"cluster_version,omitempty"`
	// ApplyStopped says why this node stopped applying the log: it holds
	// an entry of a protocol version its build does not speak (upgrade it).
	// Empty while it applies.
	ApplyStopped string       `json:"apply_stopped,omitempty"`
	Members      []MemberInfo `json:"members"`
}

// MemberInfo is one node of the cluster.
type MemberInfo struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Location is known once the node recorded itself as a vantage point.
	Location model.Location `json:"location"`
	// Suffrage is Voter, Nonvoter or Staging; empty for a vantage point that
	// the Raft configuration does not list.
	Suffrage string `json:"suffrage,omitempty"`
	Leader   bool   `json:"leader"`
	// Self marks the node that answered.
	Self bool `json:"self"`
}

// ConfigInfo names the configuration a node runs.
type ConfigInfo struct {
	// Version counts the cluster's configuration changes, from 1; 0 while
	// the cluster has agreed on none (then Hash is this node's own file's).
	Version   uint64    `json:"version"`
	Hash      string    `json:"hash"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
	AppliedBy string    `json:"applied_by,omitempty"`
}

// Service is one steered name with its endpoints.
type Service struct {
	Name        string           `json:"name"`
	Type        model.RecordType `json:"type"`
	TTL         int64            `json:"ttl"` // seconds
	Policy      config.Policy    `json:"policy"`
	WhenAllDown config.AllDown   `json:"when_all_down"`
	Endpoints   []Endpoint       `json:"endpoints"`
}

// Endpoint is one place a service runs, as configured and as judged.
type Endpoint struct {
	Name      string         `json:"name"`
	Location  model.Location `json:"location"`
	Addresses []netip.Addr   `json:"addresses"`
	Priority  int            `json:"priority"`
	Weight    uint32         `json:"weight"`
	// Drained is the configuration's drained flag; a drain override shows
	// in Override instead.
	Drained bool `json:"drained"`
	// Health is what steering uses: the verdict, unless a force override
	// in force says otherwise. One of up, down, unknown.
	Health string `json:"health"`
	// Verdict is the quorum's own decision, Since when it last changed.
	Verdict string    `json:"verdict"`
	Since   time.Time `json:"since,omitzero"`
	Votes   Votes     `json:"votes"`
	// Override is the operator's override in force, if any.
	Override *Override `json:"override,omitempty"`
	// Evidence is every vantage point's latest check of the endpoint.
	Evidence []Evidence `json:"evidence"`
}

// Votes counts the failure domains behind a verdict.
type Votes struct {
	Up     int `json:"up"`
	Down   int `json:"down"`
	Voters int `json:"voters"`
}

// Evidence is one vantage point's latest check of one endpoint: the newer
// of what the last verdict recorded and the live observations.
type Evidence struct {
	Vantage  string         `json:"vantage"`
	Location model.Location `json:"location"`
	// State is the vantage point's judgement after rise/fall as the last
	// verdict recorded it (unknown when the verdict holds none); Up is
	// whether its latest check passed.
	State     string       `json:"state"`
	Up        bool         `json:"up"`
	Reason    model.Reason `json:"reason,omitempty"`
	Detail    string       `json:"detail,omitempty"`
	Warning   string       `json:"warning,omitempty"`
	LatencyMS float64      `json:"latency_ms"`
	At        time.Time    `json:"at"`
	AgeS      float64      `json:"age_s"`
	// Fresh is false when the check is older than the staleness window
	// (health.stale_after check intervals), so it no longer votes.
	Fresh bool `json:"fresh"`
}

// Answer is what one name answers now.
type Answer struct {
	Name string `json:"name"`
	// Area is the client area the answer is for (policy geo); empty for
	// clients in no area and for every other service.
	Area string           `json:"area,omitempty"`
	Type model.RecordType `json:"type"`
	TTL  uint32           `json:"ttl"` // seconds
	Mode model.AnswerMode `json:"mode"`
	// Addresses is a fixed answer; Target a CNAME (answer: cname); Pools
	// a weighted one (each query gets one pool's addresses or target, in
	// proportion to weight).
	Addresses []netip.Addr `json:"addresses,omitempty"`
	Target    string       `json:"target,omitempty"`
	Pools     []Pool       `json:"pools,omitempty"`
}

// Pool is one endpoint's addresses, or its target, in a weighted answer.
type Pool struct {
	Endpoint  string       `json:"endpoint"`
	Weight    uint32       `json:"weight"`
	Target    string       `json:"target,omitempty"`
	Addresses []netip.Addr `json:"addresses"`
}

// Override is an operator's decision about one endpoint.
type Override struct {
	Endpoint string             `json:"endpoint"`
	Kind     state.OverrideKind `json:"kind"`
	Who      string             `json:"who"`
	Why      string             `json:"why"`
	Created  time.Time          `json:"created"`
	// Expires is when it lapses on its own; absent means never.
	Expires time.Time `json:"expires,omitzero"`
	// Active is false once Expires passed (the leader removes it shortly).
	Active bool `json:"active"`
}

// OverrideRequest is POST /api/v1/overrides.
type OverrideRequest struct {
	Endpoint string             `json:"endpoint"`
	Kind     state.OverrideKind `json:"kind"`
	// Reason says why; required, recorded in the event history.
	Reason string `json:"reason"`
	// For is how long the override lasts, as a Go duration ("30m");
	// empty means until cleared.
	For string `json:"for,omitempty"`
}

// Event is one entry of the history.
type Event = state.Event

// EventPage is GET /api/v1/events: events after a cursor, oldest first.
type EventPage struct {
	Events []Event `json:"events"`
	// Next is the cursor to pass as since for the events after these
	// (-1 while the history is empty).
	Next int64 `json:"next"`
	// More is true when further events wait beyond the limit.
	More bool `json:"more"`
}

// ConfigDoc is GET /api/v1/config: the replicated configuration.
type ConfigDoc struct {
	Version   uint64        `json:"version"`
	Hash      string        `json:"hash"`
	AppliedAt time.Time     `json:"applied_at,omitzero"`
	AppliedBy string        `json:"applied_by,omitempty"`
	Config    config.Shared `json:"config"`
}

// Validation is POST /api/v1/config/validate, and the 422 answer of apply.
type Validation struct {
	Valid    bool      `json:"valid"`
	Hash     string    `json:"hash,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	// Error and Code are set when invalid, as in every error response.
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Problem is one thing wrong with a configuration file.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Text is the whole problem as one line, "file:line:col: path: message".
	Text string `json:"text"`
}

// Applied is POST /api/v1/config/apply.
type Applied struct {
	// Version is the configuration's version once this node applied it;
	// 0 when a follower had not caught up within two seconds (the change
	// is committed all the same).
	Version uint64 `json:"version"`
	Hash    string `json:"hash"`
	// Changed is false when the cluster already ran this configuration.
	Changed bool `json:"changed"`
}

// EndpointNamed returns the endpoint called name among services; ok is
// false when none is.
func EndpointNamed(services []Service, name string) (e Endpoint, ok bool) {
	for _, svc := range services {
		for _, e := range svc.Endpoints {
			if e.Name == name {
				return e, true
			}
		}
	}
	return Endpoint{}, false
}

// CheckBy returns vantage's latest check of the endpoint (a node's own
// probe: its name as vantage); ok is false when it has none.
func (e Endpoint) CheckBy(vantage string) (ev Evidence, ok bool) {
	for _, ev := range e.Evidence {
		if ev.Vantage == vantage {
			return ev, true
		}
	}
	return Evidence{}, false
}

package measure

// Result is what one scenario measured. Durations are seconds from the
// fault (or, for ReturnS, from the heal); -1 means "did not happen within
// the scenario" (for example no detection in false-alarm, which is right).
type Result struct {
	Name        string `json:"name"`        // region-outage, provider-outage, ...
	Title       string `json:"title"`       // "One region hangs (us-east-1, 7 Dec 2021)"
	Description string `json:"description"` // what was done, in a sentence or two

	// DetectionS: fault → first verdict change of an affected endpoint.
	DetectionS float64 `json:"detection_s"`
	// SteeringS: fault → no nameserver gives an affected address any more.
	SteeringS float64 `json:"steering_s"`
	// ClientRecoveryS: fault → the clients' success rate is back at >= 99%
	// (and stays there for the rest of the fault).
	ClientRecoveryS float64 `json:"client_recovery_s"`
	// ClientErrors: failed client requests from the fault to the end, out
	// of ClientRequests made over the same seconds.
	ClientErrors   int `json:"client_errors"`
	ClientRequests int `json:"client_requests"`
	// ClientSuccessPctAfter: client success rate from TTL + 5 s after the fault to the heal (or end).
	ClientSuccessPctAfter float64 `json:"client_success_pct_after"`
	// FalseFailovers: verdicts turned down for endpoints that were healthy.
	FalseFailovers int `json:"false_failovers"`
	// Flaps: verdict changes of an endpoint beyond the first during the fault,
	// and beyond the first after the heal.
	Flaps int `json:"flaps"`
	// ReturnS: heal → the healed endpoint is answered again by every nameserver; -1 without a heal.
	ReturnS float64 `json:"return_s"`
	// StaleS: fault → a node first reports a target hostname's resolution
	// stale (its DNS fails, the last good addresses are kept); -1 if none did.
	StaleS float64 `json:"stale_s"`
	// FreshS: heal → every node's resolution of every target that was not
	// fresh at the heal is fresh again; 0 if all were, -1 without a heal
	// or if one never is.
	FreshS float64 `json:"fresh_s"`
	// OffAnswers: polls from the fault to the end that answered anything but
	// exactly the kept addresses (other addresses, none, an error rcode; a
	// poll without a reply in time is no evidence), out of KeptPolls; -1
	// when the scenario keeps nothing.
	OffAnswers int `json:"off_answers"`
	KeptPolls  int `json:"kept_polls"`

	// Pass is true when every bound of the scenario holds; Failures says which did not.
	Pass     bool     `json:"pass"`
	Failures []string `json:"failures,omitempty"`

	// FaultAt and HealAt are seconds from the scenario's start (HealAt -1: no heal).
	FaultAt float64 `json:"fault_at_s"`
	HealAt  float64 `json:"heal_at_s"`
	// Seconds is the clients' timeline, one entry per second from the start.
	Seconds []Second `json:"seconds"`
	// Markers are the events drawn on the timeline.
	Markers []Marker `json:"markers"`
	// LeaderChanges are the Raft leaders that took over during the scenario.
	LeaderChanges []LeaderChange `json:"leader_changes"`
	// Outvoted are the spans in which a node's own view of an endpoint
	// disagreed with the agreed verdict for at least OutvotedAfter.
	Outvoted []Outvote `json:"outvoted"`
	// Resolutions are the changes of the nodes' resolution of the target
	// hostnames (the state at the start left out).
	Resolutions []ResolutionEvent `json:"resolutions"`
	// Answered are the sets of addresses the nameservers answered, in the
	// order first seen: a move from one endpoint (or hostname) to another.
	Answered []AnswerSet `json:"answered"`
	// Areas are the client areas' own figures, in a scenario whose devices
	// are spread over areas (geo-region-outage); empty otherwise.
	Areas []AreaResult `json:"areas,omitempty"`
	// DNSOnly and Proxied are the two groups of devices of a scenario
	// whose devices take two roads (proxy-region-outage): DNSOnly resolve
	// the name and call the address answered, as every scenario's devices
	// do (Result's own client figures are theirs); Proxied send the same
	// requests to the nodes' HTTP proxies. Both nil otherwise.
	DNSOnly *ClientGroup `json:"dns_only,omitempty"`
	Proxied *ClientGroup `json:"proxied,omitempty"`
	// Primary are the figures of a scenario with a policy primary
	// database (primary-region-outage); nil otherwise.
	Primary *PrimaryResult `json:"primary,omitempty"`
}

// Second is what the clients saw during one second of a scenario.
type Second struct {
	T         int            `json:"t"` // seconds from the scenario's start
	Requests  int            `json:"requests"`
	Successes int            `json:"successes"`
	ServedBy  map[string]int `json:"served_by"` // region (endpoint name) → successful requests it served
	// MaxLatencyS is the slowest successful request that began in this
	// second, from its lookup to its last body byte.
	MaxLatencyS float64 `json:"max_latency_s,omitempty"`
}

// Marker is an event on a scenario's timeline.
type Marker struct {
	T     float64 `json:"t"`    // seconds from the scenario's start
	Kind  string  `json:"kind"` // "fault", "heal", "verdict", "leader", "outvoted"
	Label string  `json:"label"`
	// Detail says more than the chart's short label has room for.
	Detail string `json:"detail,omitempty"`
}

// LeaderChange is a node seen taking over as Raft leader.
type LeaderChange struct {
	T    float64 `json:"t"`    // seconds from the scenario's start: when the new leader was first seen
	From string  `json:"from"` // the leader seen before it, "" if none was
	To   string  `json:"to"`
	Term uint64  `json:"term"` // the new leader's Raft term
}

// Outvote is a span in which one node's own view of one endpoint (its own
// probes alone, after fall/rise) disagreed with the agreed verdict.
type Outvote struct {
	Vantage  string  `json:"vantage"` // the node
	Endpoint string  `json:"endpoint"`
	Saw      string  `json:"saw"`    // the node's own view: "up" or "down"
	Agreed   string  `json:"agreed"` // the agreed verdict meanwhile
	From     float64 `json:"from_s"` // seconds from the scenario's start
	To       float64 `json:"to_s"`   // when they agreed again, the node stopped, or the scenario ended
}

// Package model holds the value types that flow between outlast's parts:
// where something runs (Location), what a probe saw (Result, Observation),
// what the health engine concluded (Verdict, Evidence) and what the DNS
// server answers (Answer). It imports only the standard library, so the pure
// decision packages can depend on it without pulling in any IO.
package model

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Location is a failure domain: a region of a provider, written
// "provider/region" (for example "aws/us-east-1").
type Location struct {
	Provider string
	Region   string
}

// ParseLocation parses "provider/region". Both parts must be non-empty and
// contain no further slash; they are lower-cased so "AWS/us-east-1" and
// "aws/us-east-1" are the same domain.
func ParseLocation(s string) (Location, error) {
	provider, region, ok := strings.Cut(s, "/")
	if !ok || provider == "" || region == "" || strings.Contains(region, "/") {
		return Location{}, fmt.Errorf("location %q is not of the form provider/region (for example aws/us-east-1)", s)
	}
	return Location{Provider: strings.ToLower(provider), Region: strings.ToLower(region)}, nil
}

func (l Location) String() string {
	if l.Provider == "" && l.Region == "" {
		return ""
	}
	return l.Provider + "/" + l.Region
}

// Locations writes locs as people read them: "aws/us-east-1, gcp/us-central1".
func Locations(locs []Location) string {
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.String()
	}
	return strings.Join(out, ", ")
}

// MarshalText lets a Location appear as "provider/region" in YAML and JSON.
func (l Location) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses "provider/region"; empty text is the zero Location,
// so a Location that was never set survives a JSON round trip.
func (l *Location) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*l = Location{}
		return nil
	}
	parsed, err := ParseLocation(string(b))
	if err != nil {
		return err
	}
	*l = parsed
	return nil
}

// Reason classifies why a probe failed, so operators and metrics can tell a
// hung endpoint (timeout) from a dead one (refused) from a broken one
// (status, body). It is ReasonOK when the probe passed.
type Reason string

// The probe outcomes. Each probe type uses the subset that applies to it.
const (
	ReasonOK         Reason = "ok"
	ReasonTimeout    Reason = "timeout"     // no complete answer within the check's timeout
	ReasonRefused    Reason = "refused"     // connection refused (nothing listening)
	ReasonReset      Reason = "reset"       // connection reset or closed mid-exchange
	ReasonNetwork    Reason = "network"     // unreachable network or host, or another dial error
	ReasonTLS        Reason = "tls"         // handshake or certificate verification failed
	ReasonStatus     Reason = "status"      // HTTP status outside the expected range
	ReasonBody       Reason = "body"        // HTTP body lacks the expected substring
	ReasonRcode      Reason = "rcode"       // DNS rcode differs from the expected one
	ReasonAnswer     Reason = "answer"      // DNS answer lacks the expected record
	ReasonNotServing Reason = "not-serving" // gRPC health reports anything but SERVING
	ReasonProtocol   Reason = "protocol"    // the peer spoke, but not the expected protocol
	ReasonError      Reason = "error"       // anything else; Detail says what
	// ReasonProxy: not a probe but real requests: this node's HTTP proxy
	// ejected the endpoint after consecutive failed requests.
	ReasonProxy Reason = "proxy-ejected"
)

// Result is what one probe of one endpoint saw. A probe returns a Result and
// never decides a verdict.
type Result struct {
	Up      bool
	Latency time.Duration
	Reason  Reason
	// Detail is a short human explanation ("status 503", "dial tcp ...: connection refused").
	Detail string
	// Warning is set when the probe passed but something needs attention soon,
	// such as a TLS certificate close to expiry. It never makes a probe fail.
	Warning string
	// CertExpiry is the earliest NotAfter of the peer's certificate chain
	// when the probe used TLS; zero otherwise.
	CertExpiry time.Time
}

// Observation is one Result attributed to who probed what, when.
type Observation struct {
	Vantage  string // name of the vantage point (the outlast node) that probed
	Endpoint string // endpoint name, unique across the configuration
	At       time.Time
	Result   Result
}

// Health is the judged state of an endpoint, from one vantage point or by quorum.
type Health uint8

// Health states. Unknown means nothing has been seen yet; steering treats it
// as usable so a starting node answers before its first probe completes.
const (
	Unknown Health = iota
	Up
	Down
)

func (h Health) String() string {
	switch h {
	case Up:
		return "up"
	case Down:
		return "down"
	default:
		return "unknown"
	}
}

// Usable reports whether steering may hand out an endpoint in this state.
func (h Health) Usable() bool { return h != Down }

// Evidence is one vantage point's view of an endpoint at the time of a verdict.
type Evidence struct {
	Vantage  string
	Location Location
	// State is the vantage point's own view after rise/fall hysteresis.
	State Health
	// Last is the most recent probe result from this vantage point, and At when it was taken.
	Last Result
	At   time.Time
	// Fresh is false when the view is older than the staleness window and so did not vote.
	Fresh bool
}

// Verdict is the quorum decision for one endpoint, with the evidence behind it.
type Verdict struct {
	Endpoint string
	Health   Health
	// Since is when Health last changed.
	Since time.Time
	// From is what Health changed from at Since (Unknown in verdicts
	// committed before it was recorded): an endpoint Up from Down has
	// come back, and the proxy gives it its traffic back gradually.
	From Health `json:",omitempty"`
	// UpVotes and DownVotes count the failure domains whose fresh views voted
	// up or down (a domain votes with the majority of its fresh views and
	// abstains on a tie or when none is fresh); Voters is how many failure
	// domains are known, voting or not. A change needs more than Voters/2.
	UpVotes, DownVotes, Voters int
	Evidence                   []Evidence
}

// RecordType is the DNS record type a service answers with.
type RecordType string

// Supported service record types.
const (
	TypeA    RecordType = "A"
	TypeAAAA RecordType = "AAAA"
)

// AnswerMode says why an Answer holds the addresses it holds.
type AnswerMode string

// Answer modes, from normal steering to the all-down behaviours.
const (
	ModeHealthy  AnswerMode = "healthy"   // chosen from endpoints judged usable
	ModePanic    AnswerMode = "panic"     // too few healthy: every non-drained endpoint, as the panic threshold asks
	ModeServeAll AnswerMode = "serve-all" // every endpoint down: answer with all of them
	ModeFallback AnswerMode = "fallback"  // every endpoint down: the service's fixed fallback addresses
	ModeEmpty    AnswerMode = "empty"     // every endpoint down and the service is fail-closed, or no primary elected yet: NODATA
	// ModeUnresolved: the service flattens hostname targets and no endpoint
	// it could answer has an address the node's resolver holds (never
	// resolved, or the last good addresses outlived max_stale). The name
	// answers SERVFAIL, so resolvers try another nameserver and cache
	// nothing, rather than an empty answer that a lookup failure caused.
	ModeUnresolved AnswerMode = "unresolved"
)

// WeightedPool is one endpoint's addresses in a weighted answer, or its
// target hostname when the answer is a CNAME.
type WeightedPool struct {
	Endpoint string
	Weight   uint32
	Addrs    []netip.Addr
	Target   string // lower-case fully qualified; set instead of Addrs in a CNAME answer
}

// Answer is what a name answers for one record type. At most one of Addrs,
// Target and Pools is in use: Addrs is a fixed set of addresses given to
// every query; Target is a CNAME given to every query, for every type (a
// service with answer: cname); Pools (weighted policy) lets each query get
// one pool's addresses or target, chosen in proportion to weight.
type Answer struct {
	Name string // lower-case fully qualified name with trailing dot
	// Area is the client area this answer is for (a geo service has one
	// answer per area of the configuration); "" is the answer for clients
	// in no area, and the only answer of every other service.
	Area   string
	Type   RecordType
	TTL    uint32 // seconds
	Mode   AnswerMode
	Addrs  []netip.Addr
	Target string // lower-case fully qualified
	Pools  []WeightedPool
}

// IsCNAME reports whether the answer is a CNAME (Target, or pools of targets).
func (a *Answer) IsCNAME() bool {
	return a.Target != "" || (len(a.Pools) > 0 && a.Pools[0].Target != "")
}

// AddressCount is how many addresses the answer holds, over all pools.
func (a *Answer) AddressCount() int {
	n := len(a.Addrs)
	for _, p := range a.Pools {
		n += len(p.Addrs)
	}
	return n
}

// TotalWeight is the sum of the pools' weights.
func (a *Answer) TotalWeight() uint64 {
	var total uint64
	for _, p := range a.Pools {
		total += uint64(p.Weight)
	}
	return total
}

// Pick returns the addresses for one query. For a weighted answer r selects a
// pool (PickIndex). Pick does not allocate.
func (a *Answer) Pick(r uint64) []netip.Addr {
	if len(a.Pools) == 0 {
		return a.Addrs
	}
	return a.Pools[a.PickIndex(r)].Addrs
}

// PickIndex returns the index of the pool that answers one query: a pool of
// weight w is chosen for w of every TotalWeight values of r. It returns 0
// when there are no pools or all weigh nothing. It does not allocate.
func (a *Answer) PickIndex(r uint64) int {
	total := a.TotalWeight()
	if total == 0 {
		return 0
	}
	r %= total
	for i, p := range a.Pools {
		if r < uint64(p.Weight) {
			return i
		}
		r -= uint64(p.Weight)
	}
	return len(a.Pools) - 1
}

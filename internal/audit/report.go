package audit

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is not a severity.
type Severity int

// Severities, least first. --fail-on compares against them.
const (
	Info     Severity = iota + 1 // worth knowing; expected in most deployments (N-2 losses, failovers)
	Warning                      // a weakness to fix before it matters
	Critical                     // a single failure takes a service, or outlast itself, down
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Critical: "critical"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name, so JSON says "critical".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	parsed, err := ParseSeverity(string(b))
	*s = parsed
	return err
}

// ParseSeverity reads info, warning or critical.
func ParseSeverity(name string) (Severity, error) {
	for s, n := range severityNames {
		if strings.EqualFold(name, n) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("audit: %q is not a severity; use info, warning or critical", name)
}

// Check names what a finding is about; scripts can filter on it.
type Check string

// The checks.
const (
	CheckServiceDown      Check = "service-down"      // no endpoint, or no nameserver, survives the loss
	CheckFailoverStuck    Check = "failover-stuck"    // outlast cannot move traffic off the lost endpoints
	CheckPrimaryLost      Check = "primary-lost"      // the failover policy moves to a lower tier
	CheckCapacityLost     Check = "capacity-lost"     // more than half the weight goes with one domain
	CheckQuorumLost       Check = "quorum-lost"       // the outlast cluster loses its Raft majority
	CheckNameservers      Check = "nameservers"       // a zone's nameservers share one provider
	CheckVantagePoints    Check = "vantage-points"    // too few vantage points outside an endpoint's domain
	CheckRTO              Check = "rto"               // TTL + detection exceeds the recovery objective
	CheckLocationMismatch Check = "location-mismatch" // an address belongs to another provider or region
	CheckLocationUnknown  Check = "location-unknown"  // the audit cannot tell where something runs
	CheckLiveDelegation   Check = "live-delegation"   // live DNS delegates differently from the config
	CheckTargetUnverified Check = "target-unverified" // a hostname endpoint placed by its configured location alone
	// Geo services: where each area's clients go when their place fails.
	CheckGeoAreaMoved      Check = "geo-area-moved"      // an area's clients move to the next location of its order
	CheckGeoOrderExhausted Check = "geo-order-exhausted" // no location of an area's order is left: its clients go by priority
	CheckGeoSharedFirst    Check = "geo-shared-first"    // one provider holds the first choice of several areas
)

// Scope says which failures a finding is about.
type Scope string

// Scopes. Static findings (nameservers, RTO, locations) are about no
// failure in particular and have the zero Scope.
const (
	ScopeSingle Scope = "N-1" // the loss of one provider or region
	ScopePair   Scope = "N-2" // the loss of two at once
)

// Finding is one thing the audit found: what fails, why it matters and what to change.
type Finding struct {
	Severity Severity `json:"severity"`
	Check    Check    `json:"check"`
	Scope    Scope    `json:"scope,omitempty"`
	// Domain is the failure that causes it, "aws", "aws/us-east-1" or
	// "aws + gcp"; empty for static findings.
	Domain string `json:"domain,omitempty"`
	// Subject is what suffers: a service or endpoint name, a zone apex,
	// a node, or "outlast" for the cluster itself.
	Subject string `json:"subject"`
	Summary string `json:"summary"`
	Why     string `json:"why"`
	Fix     string `json:"fix"`
}

// Impact is what one failure does to one service, worst last.
type Impact string

// Impacts, from harmless to fatal.
const (
	ImpactNone     Impact = "none"     // nothing of the service was there
	ImpactDegraded Impact = "degraded" // some capacity lost, the rest serves
	ImpactFailover Impact = "failover" // the primary tier is lost; traffic moves to the next
	ImpactStuck    Impact = "stuck"    // endpoints die but outlast cannot decide to steer away
	ImpactDown     Impact = "down"     // nothing left to answer with, or nobody to answer
)

// impactRank orders impacts so the worst of several can be kept.
var impactRank = map[Impact]int{ImpactNone: 0, ImpactDegraded: 1, ImpactFailover: 2, ImpactStuck: 3, ImpactDown: 4}

// Worse reports whether i is worse than j.
func (i Impact) Worse(j Impact) bool { return impactRank[i] > impactRank[j] }

// DomainKind says what a failure domain is.
type DomainKind string

// Kinds of failure domain.
const (
	KindProvider DomainKind = "provider"
	KindRegion   DomainKind = "region"
	KindPair     DomainKind = "pair"
)

// ServiceImpact is one cell of the matrix: one failure, one service.
type ServiceImpact struct {
	Service string `json:"service"`
	Impact  Impact `json:"impact"`
	// LostPct is the share of the service's weight lost with the domain, 0-100.
	LostPct float64 `json:"lost_pct"`
	// Note explains the impact in a few words, such as "fails over to gcp/us-central1".
	Note string `json:"note,omitempty"`
	// NoNameserver: the service is down because its zone has no nameserver left.
	NoNameserver bool `json:"no_nameserver,omitempty"`
	// Moves are, for a geo service that keeps serving and steering, the
	// areas whose clients the failure sends elsewhere, in the order of the
	// service's geo.areas.
	Moves []AreaMove `json:"moves,omitempty"`
}

// DomainImpact is one row of the matrix: what losing one failure domain
// (or a pair) does to each service and to outlast itself.
type DomainImpact struct {
	Domain string     `json:"domain"`
	Kind   DomainKind `json:"kind"`
	Scope  Scope      `json:"scope"`
	// Services holds one cell per service, in Report.Services order.
	Services []ServiceImpact `json:"services"`
	// Quorum is whether the outlast cluster keeps its Raft majority.
	Quorum bool `json:"quorum"`
	// Decides is whether the surviving vantage points can still change a
	// verdict: a strict majority of all the vote domains must remain.
	Decides bool `json:"decides"`
	// Nameservers is how many of all the zones' nameservers survive, of Total.
	Nameservers      int `json:"nameservers"`
	NameserversTotal int `json:"nameservers_total"`
}

// Report is the whole audit.
type Report struct {
	// Source is what was audited: a config file or a cluster's API address.
	Source string `json:"source"`
	// Services are the audited service names, the matrix's columns.
	Services []string `json:"services"`
	// Domains are the matrix's rows: providers, regions, then N-2 pairs.
	Domains []DomainImpact `json:"domains"`
	// Findings, worst first.
	Findings []Finding `json:"findings"`
}

// Worst is the highest severity among the findings, 0 when there are none.
func (r *Report) Worst() Severity {
	var worst Severity
	for _, f := range r.Findings {
		worst = max(worst, f.Severity)
	}
	return worst
}

// Count is how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

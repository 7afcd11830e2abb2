package measure

import (
	"math"
	"slices"
)

// VerdictEvent is an agreed verdict of one endpoint, as the caller saw it
// change.
type VerdictEvent struct {
	At       float64 // seconds from the scenario's start
	Endpoint string
	Health   string // "up" or "down" (model.Health's String)
}

// AnswerSample is one poll of one nameserver for the scenario's service.
type AnswerSample struct {
	At         float64 // seconds from the scenario's start
	Nameserver string
	// Area is the client area the poll asked as (from that area's
	// addresses); "" for a poll from no area.
	Area  string
	Addrs []string // the A records answered
}

// Input is the raw timeline of one scenario. Events and samples need not be
// sorted; those at the same instant are taken in the order given.
type Input struct {
	FaultAt, HealAt float64  // seconds from the start; HealAt < 0: no heal
	End             float64  // when the scenario ended
	TTL             float64  // the service's TTL, seconds
	Affected        []string // endpoints the fault breaks (empty in false-alarm)
	AffectedAddrs   []string // their addresses, as the nameservers answer them
	Verdicts        []VerdictEvent
	Answers         []AnswerSample
	Seconds         []Second // the clients' buckets
	// VerdictsAtStart are the agreed verdicts ("up", "down") when the
	// scenario started, by endpoint; Verdicts holds the changes after that.
	VerdictsAtStart map[string]string
	// Views are the nodes' own views as they changed, with each node's view
	// at the start given at 0.
	Views []ViewEvent
	// Leaders are the leader changes seen; Compute passes them on.
	Leaders []LeaderChange
	// Failed are the polls of a nameserver that got no answer.
	Failed []FailedPoll
	// Resolutions are the nodes' resolution of the target hostnames as it
	// changed, with each node's state at the start given first.
	Resolutions []ResolutionEvent
	// KeepAddrs, when set, are the addresses every poll from the fault on
	// must answer, exactly (target-dns-down: the healthy endpoint's).
	KeepAddrs []string
	// AddrNames says whose each address is, for the answered sets.
	AddrNames map[string]string
	// Areas are the client areas the devices were spread over, each with
	// its own devices' buckets (Seconds is their sum); Answers then hold
	// each area's polls, by AnswerSample.Area. None: no areas.
	Areas []AreaInput
	// Proxied, when not nil, are the buckets of the devices that call the
	// service through the nodes' HTTP proxies; Seconds then holds the
	// DNS-only devices alone, and Result gets both groups' figures.
	Proxied []Second
}

// ViewEvent is one node's own view of one endpoint, as it changed.
type ViewEvent struct {
	At       float64 // seconds from the scenario's start
	Vantage  string  // the node
	Endpoint string
	Health   string // "up", "down", or "unknown" once the node stopped
}

// Compute measures one scenario (see the package doc for each definition).
// It fills the figures, FaultAt, HealAt and Seconds; names, descriptions and
// markers are the caller's.
func Compute(in Input) Result {
	changes := verdictChanges(in.Verdicts)
	answers := slices.Clone(in.Answers)
	slices.SortStableFunc(answers, func(a, b AnswerSample) int { return cmpFloat(a.At, b.At) })
	healAt := in.HealAt
	if healAt < 0 {
		healAt = -1
	}
	off, polls := offAnswers(answers, in.Failed, in.KeepAddrs, in.FaultAt)
	r := Result{
		DetectionS:            detection(changes, in.Affected, in.FaultAt),
		SteeringS:             steering(answers, in.AffectedAddrs, in.FaultAt, in.windowEnd()),
		ClientRecoveryS:       recovery(in.Seconds, in.FaultAt, in.windowEnd()),
		ClientErrors:          clientErrors(in.Seconds, in.FaultAt),
		ClientRequests:        clientRequests(in.Seconds, in.FaultAt),
		ClientSuccessPctAfter: successAfter(in.Seconds, in.FaultAt+in.TTL+5, in.windowEnd()),
		FalseFailovers:        falseFailovers(changes, in.Affected),
		Flaps:                 flaps(changes, in.FaultAt, in.HealAt, in.End),
		ReturnS:               returnTime(answers, in.AffectedAddrs, in.HealAt),
		FaultAt:               in.FaultAt,
		HealAt:                healAt,
		Seconds:               in.Seconds,
		LeaderChanges:         append([]LeaderChange{}, in.Leaders...),
		Outvoted:              outvotes(in.Views, changes, in.VerdictsAtStart, in.End),
		StaleS:                staleAfter(in.Resolutions, in.FaultAt),
		FreshS:                freshAgain(in.Resolutions, in.HealAt),
		OffAnswers:            off,
		KeptPolls:             polls,
		Resolutions:           resolutionChanges(in.Resolutions),
		Answered:              answerSets(answers, in.AddrNames),
		Areas:                 areaResults(in, answers),
	}
	if in.Proxied != nil {
		r.DNSOnly, r.Proxied = clientGroup(in.Seconds, in), clientGroup(in.Proxied, in)
	}
	return r
}

// windowEnd is where the fault window ends: the heal, or past every sample
// when nothing heals (samples taken just after End still belong to it).
func (in Input) windowEnd() float64 {
	if in.HealAt >= 0 {
		return in.HealAt
	}
	return math.Inf(1)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

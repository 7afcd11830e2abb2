package health

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"outlast/internal/model"
)

// Errors returned by the Engine. Callers match them with errors.Is; the
// returned errors wrap them with the names involved.
var (
	// ErrUnknownVantage means an observation came from a vantage point the
	// engine was not built with; the observation is dropped.
	ErrUnknownVantage = errors.New("unknown vantage")
	// ErrUnknownEndpoint means an observation or a restored verdict named an
	// endpoint the engine was not built with; nothing changes.
	ErrUnknownEndpoint = errors.New("unknown endpoint")
	// ErrDuplicateName means two endpoints or two vantage points share a name.
	ErrDuplicateName = errors.New("duplicate name")
	// ErrInvalidSpec means an endpoint has an empty name, a Fall or Rise
	// below 1, or an Interval that is not positive.
	ErrInvalidSpec = errors.New("invalid endpoint spec")
)

// DefaultStaleAfter is the staleness window, in check intervals, used when
// Options.StaleAfter is 0.
const DefaultStaleAfter = 3

// EndpointSpec is what the engine needs to know about one endpoint.
type EndpointSpec struct {
	// Name is unique across the engine.
	Name string
	// Fall is how many consecutive failures turn a vantage point's Up view
	// Down; Rise how many consecutive successes turn a Down view Up. Both at least 1.
	Fall, Rise int
	// Interval is how often each vantage point probes the endpoint; it
	// scales the staleness window.
	Interval time.Duration
}

// Vantage is one vantage point (an outlast node) that sends observations.
type Vantage struct {
	Name     string
	Location model.Location
}

// Options tunes the engine.
type Options struct {
	// StaleAfter is how many of an endpoint's check intervals a vantage
	// point's view may age before it stops voting (0 means DefaultStaleAfter).
	StaleAfter int
}

// Engine holds every view and verdict. Build it with New.
type Engine struct {
	vantages    []Vantage // sorted by name; views are indexed like this slice
	vantageIdx  map[string]int
	domains     domains
	endpoints   []endpoint // sorted by name
	endpointIdx map[string]int
}

// endpoint is one endpoint's views and its current verdict.
type endpoint struct {
	spec   EndpointSpec
	window time.Duration // a view older than this does not vote
	views  []view        // one per vantage point
	health model.Health
	since  time.Time
}

// New builds an engine for a fixed set of endpoints and vantage points.
// Every verdict starts Unknown.
func New(opts Options, endpoints []EndpointSpec, vantages []Vantage) (*Engine, error) {
	staleAfter := opts.StaleAfter
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	e := &Engine{
		vantages:    slices.Clone(vantages),
		vantageIdx:  make(map[string]int, len(vantages)),
		endpoints:   make([]endpoint, 0, len(endpoints)),
		endpointIdx: make(map[string]int, len(endpoints)),
	}
	slices.SortFunc(e.vantages, func(a, b Vantage) int { return strings.Compare(a.Name, b.Name) })
	for i, v := range e.vantages {
		if _, dup := e.vantageIdx[v.Name]; dup {
			return nil, fmt.Errorf("health: vantage %q: %w", v.Name, ErrDuplicateName)
		}
		e.vantageIdx[v.Name] = i
	}
	e.domains = groupDomains(e.vantages)
	specs := slices.Clone(endpoints)
	slices.SortFunc(specs, func(a, b EndpointSpec) int { return strings.Compare(a.Name, b.Name) })
	// One backing array keeps every view of the engine together in memory.
	backing := make([]view, len(specs)*len(vantages))
	for i, s := range specs {
		if err := checkSpec(s); err != nil {
			return nil, err
		}
		if _, dup := e.endpointIdx[s.Name]; dup {
			return nil, fmt.Errorf("health: endpoint %q: %w", s.Name, ErrDuplicateName)
		}
		e.endpointIdx[s.Name] = i
		views := backing[i*len(vantages) : (i+1)*len(vantages) : (i+1)*len(vantages)]
		window := time.Duration(staleAfter) * s.Interval
		e.endpoints = append(e.endpoints, endpoint{spec: s, window: window, views: views})
	}
	return e, nil
}

func checkSpec(s EndpointSpec) error {
	if s.Name == "" || s.Fall < 1 || s.Rise < 1 || s.Interval <= 0 {
		return fmt.Errorf("health: endpoint %q (fall %d, rise %d, interval %s): %w",
			s.Name, s.Fall, s.Rise, s.Interval, ErrInvalidSpec)
	}
	return nil
}

// Observe folds one probe result into its (vantage, endpoint) view. An
// observation older than the last one seen for the same pair is ignored, as
// it was overtaken on the way. Verdicts change only in Evaluate.
func (e *Engine) Observe(o model.Observation) error {
	ei, ok := e.endpointIdx[o.Endpoint]
	if !ok {
		return fmt.Errorf("health: observation of %q from %q: %w", o.Endpoint, o.Vantage, ErrUnknownEndpoint)
	}
	vi, ok := e.vantageIdx[o.Vantage]
	if !ok {
		return fmt.Errorf("health: observation of %q from %q: %w", o.Endpoint, o.Vantage, ErrUnknownVantage)
	}
	ep := &e.endpoints[ei]
	ep.views[vi].apply(o.Result, o.At, ep.spec.Fall, ep.spec.Rise)
	return nil
}

// Evaluate recomputes every verdict as of now and returns the ones whose
// Health changed, sorted by endpoint name, each with its full evidence.
// It returns nil when nothing changed, without allocating.
func (e *Engine) Evaluate(now time.Time) []model.Verdict {
	var changed []model.Verdict
	for i := range e.endpoints {
		ep := &e.endpoints[i]
		h := decide(ep.health, e.domains.tally(ep, now).Quorum(e.domains.count()))
		if h == ep.health {
			continue
		}
		from := ep.health
		ep.health, ep.since = h, now
		v := e.verdict(ep, now)
		v.From = from
		changed = append(changed, v)
	}
	return changed
}

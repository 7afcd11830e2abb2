// Package outlier is passive failure detection for the HTTP proxy, after
// Envoy's outlier detection: an endpoint whose real requests fail several
// times in a row is ejected from this node's proxy for a while, and for
// longer each time it happens again.
//
// Why passive detection when the health engine already probes every
// endpoint: a gray failure (an origin that answers the synthetic check but
// fails real requests, or a region that hangs mid-request) shows up only in
// real traffic. The proxy reports each request's outcome here; an ejection
// moves traffic away within a few requests instead of a few probe rounds,
// and the proxy hands each Change to the health engine as this node's
// observation so the gray failure appears in the shared evidence.
//
// The rules, and where they differ from Envoy:
//   - Consecutive failures (the caller decides what fails: connect error,
//     reset, per-try timeout, a 502/503/504) eject; a success resets the
//     count. When the ejection is refused because too many endpoints are
//     out already, the count stays at or above the threshold and the next
//     failure tries again (Envoy tries only when the count hits the
//     threshold exactly).
//   - The n-th ejection in a row lasts n × BaseEjection, capped at
//     MaxEjection. The multiplier itself stops growing once the cap is
//     reached, so recovery from a long outage takes a bounded time.
//   - The multiplier decays by one for each whole BaseEjection an endpoint
//     spends back in service (Envoy decrements it each interval instead;
//     outlast has no sweep interval, so the period is BaseEjection).
//   - Results reported while an endpoint is ejected are ignored: they come
//     from requests sent before the ejection and say nothing new.
//   - At most Allowed(n, MaxEjectedPercent) endpoints are out at once; see
//     Allowed for why at least one and at most n-1.
//
// Time is an argument everywhere and ejections end lazily when a later
// call's now passes their end; the package reads no clock, starts no
// goroutine and does no IO.
package outlier

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Change is one endpoint entering or leaving ejection, for the caller to
// feed to the health engine, logs and metrics. The zero Change (empty
// Name) means nothing changed.
type Change struct {
	Name string
	// Ejected is true when the endpoint was ejected, false when it
	// returned to service.
	Ejected bool
	// At is when the ejection began; for a return, when it ended.
	At time.Time
	// Until is when the ejection ends (for a return: when it ended).
	Until time.Time
}

// Status is one endpoint's state, for metrics and the status page.
type Status struct {
	Name    string
	Ejected bool
	// Until is when the current or last ejection ends or ended; zero if
	// the endpoint was never ejected.
	Until time.Time
	// Multiplier is the run of ejections so far, after decay: the current
	// (or last) ejection lasted Multiplier × BaseEjection, and the next
	// one will last one BaseEjection more, both capped at MaxEjection.
	Multiplier int
	// Ejections is how many times the endpoint was ejected in all.
	Ejections uint64
	// ConsecutiveFailures is the current run of failures.
	ConsecutiveFailures int
}

// Detector tracks a fixed set of endpoints. It is safe for concurrent use.
type Detector struct {
	cfg     Config
	maxMult int // multiplier at which BaseEjection × it reaches MaxEjection
	allowed int

	mu    sync.Mutex
	order []*endpoint // in the order New was given, for Snapshot
	byKey map[string]*endpoint
}

type endpoint struct {
	name string
	// until is the end of the current or last ejection, nil if never. It
	// is written under Detector.mu and read without it by Ejected.
	until atomic.Pointer[time.Time]
	// clean: no failure counted and nothing to decay, so a success
	// changes nothing and Result returns without the lock. Written under
	// Detector.mu after every change of failures or mult.
	clean atomic.Bool

	// Guarded by Detector.mu.
	failures  int
	mult      int
	decayFrom time.Time // start of the healthy period the next decay counts
	ejections uint64
}

// New returns a Detector over names, which must be distinct, non-empty and
// at most MaxEndpoints.
func New(cfg Config, names []string) (*Detector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(names) > MaxEndpoints {
		return nil, fmt.Errorf("outlier: %d endpoints, at most %d", len(names), MaxEndpoints)
	}
	d := &Detector{
		cfg:     cfg,
		maxMult: int((cfg.MaxEjection + cfg.BaseEjection - 1) / cfg.BaseEjection),
		allowed: Allowed(len(names), cfg.MaxEjectedPercent),
		order:   make([]*endpoint, 0, len(names)),
		byKey:   make(map[string]*endpoint, len(names)),
	}
	for _, n := range names {
		if n == "" {
			return nil, errors.New("outlier: an endpoint name is empty")
		}
		if d.byKey[n] != nil {
			return nil, fmt.Errorf("outlier: endpoint %q listed twice", n)
		}
		e := &endpoint{name: n}
		e.clean.Store(true)
		d.order = append(d.order, e)
		d.byKey[n] = e
	}
	return d, nil
}

// Ejected reports whether name is ejected at now. It takes no lock. An
// unknown name is never ejected.
func (d *Detector) Ejected(name string, now time.Time) bool {
	e := d.byKey[name] // byKey is never written after New
	return e != nil && e.ejectedAt(now)
}

func (e *endpoint) ejectedAt(now time.Time) bool {
	u := e.until.Load()
	return u != nil && now.Before(*u)
}

// Result records the outcome of one request to name at now and returns the
// ejection it caused, or the zero Change. Unknown names are ignored.
//
// Callers on many goroutines pass their own time.Now(), which reach the
// lock out of order. The share limit still holds at every instant: a
// decision counts every ejection that ends after its now, including one
// decided a moment earlier with a later now.
func (d *Detector) Result(name string, ok bool, now time.Time) Change {
	e := d.byKey[name]
	if e == nil || ok && e.clean.Load() {
		// Nearly every request succeeds against a healthy endpoint:
		// that is nothing to record, and concurrent requests do not
		// wait on one another for it.
		return Change{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { e.clean.Store(e.failures == 0 && e.mult == 0) }()
	if e.ejectedAt(now) {
		return Change{}
	}
	d.decay(e, now)
	if ok {
		e.failures = 0
		return Change{}
	}
	e.failures++
	if e.failures < d.cfg.Consecutive || d.ejectedCount(now) >= d.allowed {
		return Change{}
	}
	return d.eject(e, now)
}

// eject takes e out of service from now; d.mu is held.
func (d *Detector) eject(e *endpoint, now time.Time) Change {
	e.mult = min(e.mult+1, d.maxMult)
	until := now.Add(min(time.Duration(e.mult)*d.cfg.BaseEjection, d.cfg.MaxEjection))
	e.until.Store(&until)
	e.failures = 0
	e.ejections++
	return Change{Name: e.name, Ejected: true, At: now, Until: until}
}

// decay lowers e's multiplier by one for each whole BaseEjection since its
// last ejection ended; d.mu is held and e is not ejected at now.
func (d *Detector) decay(e *endpoint, now time.Time) {
	if u := e.until.Load(); u != nil && e.decayFrom.Before(*u) {
		e.decayFrom = *u
	}
	if e.mult == 0 || now.Before(e.decayFrom) {
		return
	}
	steps := now.Sub(e.decayFrom) / d.cfg.BaseEjection
	if steps <= 0 {
		return
	}
	if steps >= time.Duration(e.mult) {
		e.mult = 0
		e.decayFrom = now
		return
	}
	e.mult -= int(steps)
	e.decayFrom = e.decayFrom.Add(steps * d.cfg.BaseEjection)
}

// ejectedCount is how many endpoints are ejected at now; d.mu is held.
func (d *Detector) ejectedCount(now time.Time) int {
	n := 0
	for _, e := range d.order {
		if e.ejectedAt(now) {
			n++
		}
	}
	return n
}

// Snapshot returns every endpoint's state at now, in New's order.
func (d *Detector) Snapshot(now time.Time) []Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Status, len(d.order))
	for i, e := range d.order {
		s := Status{Name: e.name, Ejected: e.ejectedAt(now), Ejections: e.ejections, ConsecutiveFailures: e.failures}
		if !s.Ejected {
			d.decay(e, now)
		}
		if u := e.until.Load(); u != nil {
			s.Until = *u
		}
		s.Multiplier = e.mult
		out[i] = s
	}
	return out
}

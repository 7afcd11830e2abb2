// Package retrybudget bounds the retries the HTTP proxy has in flight to a
// share of the requests it has in flight, after Envoy's retry_budget.
//
// Why: a retry is extra load, and it lands on the endpoints that are still
// up. When a region fails outright, every request retries elsewhere and the
// survivors take twice their traffic at the worst moment; when every
// endpoint is failing, retries only multiply the failure. A fixed retry
// count per request does not prevent that; a budget does: retries may add
// at most Percent% to the requests in flight, with a floor of
// MinConcurrency concurrent retries so a quiet proxy can still retry.
//
// Rules, and where Envoy leaves room:
//   - "Requests in flight" are the client requests between Start and Done;
//     retries are not counted among them (Envoy's active requests include
//     its retries). So the budget is what the issue states: retries add at
//     most Percent% to the load.
//   - A retry is admitted while retries in flight < max(MinConcurrency,
//     floor(in flight × Percent / 100)), and counts until its release.
//   - A refused retry is counted (Stats.Exhausted); the proxy then returns
//     the failed try's response or error to the client.
//
// Admission is atomics: no lock, no allocation except the release func of
// an admitted retry, no IO. Only AwaitRetry, when the budget is full,
// takes a lock and a timer to wait for a release.
package retrybudget

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Budget configures a Tracker. A zero field takes its default.
type Budget struct {
	// Percent is how many retries may be in flight, as a percentage of
	// the client requests in flight (default 20, as Envoy's
	// budget_percent). 20 lets a whole region's share of a three-region
	// service retry at a fifth of the load; more would let an outage of
	// every region double the load on whatever answers.
	Percent float64
	// MinConcurrency is how many retries may be in flight whatever the
	// traffic (default 3, as Envoy's min_retry_concurrency), so that a
	// proxy with a handful of requests can still retry them.
	MinConcurrency int
}

// Defaults; see the fields of Budget for why.
const (
	DefaultPercent        = 20
	DefaultMinConcurrency = 3
)

// WithDefaults returns b with every zero field set to its default.
func (b Budget) WithDefaults() Budget {
	if b.Percent == 0 {
		b.Percent = DefaultPercent
	}
	if b.MinConcurrency == 0 {
		b.MinConcurrency = DefaultMinConcurrency
	}
	return b
}

// Validate reports every field out of range, joined. It does not apply the
// defaults: call it on b.WithDefaults().
func (b Budget) Validate() error {
	var errs []error
	if math.IsNaN(b.Percent) || b.Percent <= 0 || b.Percent > 100 {
		errs = append(errs, fmt.Errorf("retrybudget: percent must be above 0 and at most 100, got %v", b.Percent))
	}
	if b.MinConcurrency < 1 {
		errs = append(errs, fmt.Errorf("retrybudget: min_concurrency must be at least 1, got %d", b.MinConcurrency))
	}
	return errors.Join(errs...)
}

// Limit is how many retries may be in flight with inFlight client requests
// in flight: max(MinConcurrency, floor(inFlight × Percent / 100)).
func (b Budget) Limit(inFlight int64) int64 {
	share := int64(float64(inFlight) * b.Percent / 100)
	return max(int64(b.MinConcurrency), share)
}

// Stats are a Tracker's counters, for metrics.
type Stats struct {
	// InFlight is the client requests between Start and Done.
	InFlight int64
	// RetriesInFlight is the admitted retries not yet released.
	RetriesInFlight int64
	// Limit is the current bound on RetriesInFlight.
	Limit int64
	// Admitted counts retries admitted since New.
	Admitted uint64
	// Exhausted counts retries refused since New
	// (outlast_proxy_retry_budget_exhausted_total).
	Exhausted uint64
}

// Tracker counts requests and retries in flight. It is safe for concurrent
// use.
type Tracker struct {
	budget    Budget
	inFlight  atomic.Int64
	retries   atomic.Int64
	admitted  atomic.Uint64
	exhausted atomic.Uint64
	// waiters count AwaitRetry calls waiting for a release; freed is the
	// channel the next release closes for them. Releases take mu only
	// while someone waits.
	waiters atomic.Int64
	mu      sync.Mutex
	freed   chan struct{}
}

// New returns a Tracker for b, defaults applied.
func New(b Budget) (*Tracker, error) {
	b = b.WithDefaults()
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{budget: b}, nil
}

// Budget returns the budget in force, defaults applied.
func (t *Tracker) Budget() Budget { return t.budget }

// Start records a client request entering the proxy; call Done when it
// leaves, after its last try.
func (t *Tracker) Start() { t.inFlight.Add(1) }

// Done records a client request leaving the proxy. Like sync.WaitGroup it
// panics when called more often than Start: the budget would otherwise be
// silently wrong from then on.
func (t *Tracker) Done() {
	if t.inFlight.Add(-1) < 0 {
		panic("retrybudget: Done without Start")
	}
}

// TryRetry admits one retry if the budget allows it. When ok, the retry
// counts as in flight until release is called (once; later calls do
// nothing). When not ok, release is nil and the refusal is counted.
func (t *Tracker) TryRetry() (ok bool, release func()) {
	if t.admit() {
		return true, t.releaser()
	}
	t.exhausted.Add(1)
	return false, nil
}

// AwaitRetry is TryRetry that, when the budget is full, waits up to wait
// (or until ctx ends) for a retry in flight to be released, then tries
// again. Retries that fail at the same moment (every request in flight to
// a region that hung times out together) are then admitted one after the
// other as earlier ones finish, where TryRetry would refuse all but the
// first few: the budget still bounds retries in flight, not how many
// start within a millisecond. Only the final refusal is counted.
func (t *Tracker) AwaitRetry(ctx context.Context, wait time.Duration) (ok bool, release func()) {
	if t.admit() {
		return true, t.releaser()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		freed := t.waitFreed()
		if t.admit() { // released between the failed admit and the wait
			t.waiters.Add(-1)
			return true, t.releaser()
		}
		select {
		case <-freed:
			t.waiters.Add(-1)
			if t.admit() {
				return true, t.releaser()
			}
		case <-timer.C:
			t.waiters.Add(-1)
			t.exhausted.Add(1)
			return false, nil
		case <-ctx.Done():
			t.waiters.Add(-1)
			t.exhausted.Add(1)
			return false, nil
		}
	}
}

// admit takes a retry slot if one is free.
func (t *Tracker) admit() bool {
	limit := t.budget.Limit(t.inFlight.Load())
	for {
		r := t.retries.Load()
		if r >= limit {
			return false
		}
		if t.retries.CompareAndSwap(r, r+1) {
			t.admitted.Add(1)
			return true
		}
	}
}

// releaser returns the release func of an admitted retry.
func (t *Tracker) releaser() func() {
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			t.retries.Add(-1)
			if t.waiters.Load() > 0 {
				t.wake()
			}
		}
	}
}

// waitFreed registers a waiter and returns the channel the next release
// closes.
func (t *Tracker) waitFreed() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.waiters.Add(1)
	if t.freed == nil {
		t.freed = make(chan struct{})
	}
	return t.freed
}

// wake tells every waiter a slot was released.
func (t *Tracker) wake() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.freed != nil {
		close(t.freed)
		t.freed = nil
	}
}

// Stats returns the counters. Each is read atomically, not all at one
// instant.
func (t *Tracker) Stats() Stats {
	in := t.inFlight.Load()
	return Stats{
		InFlight:        in,
		RetriesInFlight: t.retries.Load(),
		Limit:           t.budget.Limit(in),
		Admitted:        t.admitted.Load(),
		Exhausted:       t.exhausted.Load(),
	}
}

package resolve

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// job is one lookup of one family of one name.
type job struct {
	name  string
	qtype uint16
}

// done is a finished job.
type done struct {
	job
	out Outcome
}

// idle is how long Run sleeps when nothing is due, so that a clock jump
// cannot leave it asleep for ever.
const idle = time.Minute

// Run refreshes the watched names until ctx ends, then waits for its lookups
// to return (each is bounded by Options.Timeout per server) and returns
// ctx's error. Call it once.
func (r *Resolver) Run(ctx context.Context) error {
	results := make(chan done)
	inflight := map[job]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := r.clock.NewTimer(idle)
	defer timer.Stop()
	for {
		next := r.dispatch(ctx, &wg, results, inflight)
		timer.Reset(max(next.Sub(r.clock.Now()), 0))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-timer.C():
		case d := <-results:
			delete(inflight, d.job)
			r.apply(d)
		}
		r.notify()
	}
}

// dispatch starts the due lookups (at most Parallel in flight) and returns
// when Run should wake next: the next refresh, or the next change time alone
// makes (Fresh to Stale, Stale to Unresolved).
func (r *Resolver) dispatch(ctx context.Context, wg *sync.WaitGroup, results chan<- done, inflight map[job]bool) time.Time {
	now := r.clock.Now()
	next := now.Add(idle)
	for name, e := range *r.snap.Load() {
		for _, f := range []struct {
			rec   Record
			qtype uint16
		}{{e.a, dns.TypeA}, {e.aaaa, dns.TypeAAAA}} {
			j := job{name, f.qtype}
			if t := f.rec.NextChange(r.policy, now); !t.IsZero() && t.Before(next) {
				next = t
			}
			if inflight[j] {
				continue
			}
			if due := f.rec.RefreshAt(); due.After(now) || len(inflight) >= r.parallel {
				if due.Before(next) && due.After(now) {
					next = due
				}
				continue
			}
			inflight[j] = true
			wg.Go(func() {
				out := r.ex.lookup(ctx, j.name, j.qtype)
				select {
				case results <- done{j, out}:
				case <-ctx.Done():
				}
			})
		}
	}
	return next
}

// apply folds a finished lookup into the snapshot; a name forgotten by Set
// meanwhile is dropped.
func (r *Resolver) apply(d done) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.snap.Load()
	e, ok := old[d.name]
	if !ok {
		return
	}
	now := r.clock.Now()
	if d.qtype == dns.TypeAAAA {
		e.aaaa = e.aaaa.Observe(r.policy, now, d.out, r.jitter())
	} else {
		e.a = e.a.Observe(r.policy, now, d.out, r.jitter())
	}
	next := make(map[string]entry, len(old))
	for n, v := range old {
		next[n] = v
	}
	next[d.name] = e
	r.snap.Store(&next)
}

// view is what a notification is about: a name's states and addresses,
// and whether it still waits for a first outcome.
type view struct {
	state, a, aaaa State
	pending        bool
	addrsA, addrs6 []string
}

func viewOf(res Result) view {
	return view{res.State, res.A.State, res.AAAA.State, res.Pending(), addrStrings(res.A.Addrs), addrStrings(res.AAAA.Addrs)}
}

func (v view) equal(w view) bool {
	return v.state == w.state && v.a == w.a && v.aaaa == w.aaaa && v.pending == w.pending &&
		slices.Equal(v.addrsA, w.addrsA) && slices.Equal(v.addrs6, w.addrs6)
}

// notify compares every name's view with the last one reported, logs the
// changes and signals Changes once if any.
func (r *Resolver) notify() {
	changed := false
	results := r.Results()
	current := make(map[string]bool, len(results))
	for _, res := range results {
		current[res.Name] = true
		v := viewOf(res)
		if old, ok := r.seen[res.Name]; ok && old.equal(v) {
			continue
		}
		r.seen[res.Name] = v
		changed = true
		r.logChange(res)
	}
	for n := range r.seen {
		if !current[n] {
			delete(r.seen, n)
			changed = true
		}
	}
	if changed {
		select {
		case r.changes <- struct{}{}:
		default:
		}
	}
}

func (r *Resolver) logChange(res Result) {
	attrs := []any{"name", res.Name, "state", res.State.String(), "a", addrStrings(res.A.Addrs), "aaaa", addrStrings(res.AAAA.Addrs)}
	switch res.State {
	case Stale:
		r.log.Warn("stale resolution: upstream lookups fail, serving the last good addresses", append(attrs, "error", res.Err(), "max_stale", r.policy.MaxStale)...)
	case Unresolved:
		if res.Err() == "" {
			r.log.Debug("target not resolved yet", attrs...)
			return
		}
		r.log.Warn("target unresolved: no addresses to answer", append(attrs, "error", res.Err())...)
	default:
		r.log.Info("target resolved", attrs...)
	}
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

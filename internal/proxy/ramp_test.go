package proxy

import (
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlast/internal/balance"
	"outlast/internal/outlier"
)

// fakeClock is a time the test moves; the proxy reads it on its
// goroutines.
type fakeClock struct {
	t0      time.Time
	elapsed atomic.Int64
}

func (c *fakeClock) now() time.Time          { return c.t0.Add(time.Duration(c.elapsed.Load())) }
func (c *fakeClock) set(since time.Duration) { c.elapsed.Store(int64(since)) }

// seeded is a repeatable source of draws, safe to call from the proxy's
// goroutines.
func seeded(a, b uint64) func() uint64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(a, b))
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Uint64()
	}
}

// TestSlowStartShares: an endpoint back up at t0 beside one that never
// went down, both of weight 1, gets f/(1+f) of the requests at each
// point of the 60 s ramp, f being balance.Ramp's factor (10% floor,
// linear). The clock and the draws (a seeded PCG) are the test's, so the
// counts are the same on every run: the tolerance is for the sampling,
// not for timing. ±3 points is about two standard deviations of a
// 1,000-request sample (largest at a share of 0.43): should a change in
// how the proxy draws make this fail by a little, rerun with a larger n
// before suspecting the ramp; a broken ramp misses by far more (off, the
// share at t0 is 50%, not 9%).
func TestSlowStartShares(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].serve(t, port, answer(bs[0], http.StatusOK))
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	clock := &fakeClock{t0: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	slow := balance.SlowStart{Window: 60 * time.Second}
	returning, steady := bs[0].target(), bs[1].target()
	returning.UpSince = clock.t0
	plan := Plan{service: ServicePlan{
		Endpoints: []string{returning.Name, steady.Name},
		Areas:     map[string][][]Target{"": {{returning, steady}}},
	}}
	_, addr := start(t, Options{SlowStart: slow, Now: clock.now, Rand: seeded(1, 2)}, port, plan)
	c := newClient(t, addr)
	const n, tolerance = 1000, 0.03
	for _, at := range []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second, 60 * time.Second} {
		clock.set(at)
		before := bs[0].hits.Load()
		for i := range n {
			if code, _, err := c.do("GET", "/", ""); err != nil || code != http.StatusOK {
				t.Fatalf("t0+%v request %d: %d %v, want 200", at, i, code, err)
			}
		}
		f := balance.Ramp(clock.t0, clock.now(), slow.Window, slow.Aggression, slow.MinPercent)
		want := f / (1 + f)
		got := float64(bs[0].hits.Load()-before) / n
		t.Logf("t0+%v: factor %.2f, returning endpoint's share %.3f, want %.3f", at, f, got, want)
		if math.Abs(got-want) > tolerance {
			t.Errorf("t0+%v: the returning endpoint got %.1f%% of %d requests, want %.1f%% ± %.0f points (ramp factor %.2f)",
				at, 100*got, n, 100*want, 100*tolerance, f)
		}
	}
}

// ejections is an Observer that keeps the ejections it hears of.
type ejections struct {
	nopObserver
	mu  sync.Mutex
	got []outlier.Change
}

func (e *ejections) Ejection(service string, c outlier.Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.Name = service + "/" + c.Name
	e.got = append(e.got, c)
}

func (e *ejections) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

// TestEjectionObservedOnce: each ejection reaches the Observer once,
// however many failing requests were in flight when it happened, and a
// second ejection after the endpoint's return is reported again.
func TestEjectionObservedOnce(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].serve(t, port, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // the failures overlap
		answer(bs[0], http.StatusInternalServerError)(w, r)
	})
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	clock := &fakeClock{t0: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	obs := &ejections{}
	opts := Options{Now: clock.now, Observer: obs, Outlier: outlier.Config{Consecutive: 3, BaseEjection: 30 * time.Second}}
	_, addr := start(t, opts, port, planOf(bs[:1], bs[1:]))

	// 20 clients at once: each picks e1 (not yet ejected) and fails; the
	// third failure ejects it, the others arrive while it is ejected.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, _, err := newClient(t, addr).do("GET", "/", ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := obs.count(); n != 1 {
		t.Fatalf("after 20 overlapping failures of e1: %d ejections observed, want exactly 1", n)
	}
	c := newClient(t, addr)
	for range 5 {
		if code, body, err := c.do("GET", "/", ""); err != nil || code != http.StatusOK || body != "e2" {
			t.Fatalf("while e1 is ejected: %d %q %v, want 200 from e2", code, body, err)
		}
	}
	clock.set(31 * time.Second) // the ejection is over
	for range 3 {
		c.do("GET", "/", "")
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != 2 {
		t.Fatalf("after e1's return and 3 more failures: %d ejections observed, want 2: %+v", len(obs.got), obs.got)
	}
	for i, ch := range obs.got {
		if ch.Name != service+"/e1" || !ch.Ejected {
			t.Errorf("ejection %d: %+v, want e1 of %s ejected", i, ch, service)
		}
	}
	if first, second := obs.got[0], obs.got[1]; second.Until.Sub(second.At) <= first.Until.Sub(first.At) {
		t.Errorf("the second ejection lasts %v, the first %v: want it longer (ejections in a row grow)", second.Until.Sub(second.At), first.Until.Sub(first.At))
	}
}

package retrybudget

import (
	"context"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mustNew(t testing.TB, b Budget) *Tracker {
	t.Helper()
	tr, err := New(b)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return tr
}

func TestValidate(t *testing.T) {
	if got := (Budget{}).WithDefaults(); got != (Budget{Percent: 20, MinConcurrency: 3}) {
		t.Errorf("defaults %+v, want 20%% and 3", got)
	}
	for _, tc := range []struct {
		b    Budget
		want string
	}{
		{Budget{}, ""},
		{Budget{Percent: 100, MinConcurrency: 1}, ""},
		{Budget{Percent: -1}, "retrybudget: percent must be above 0 and at most 100, got -1"},
		{Budget{Percent: 150}, "got 150"},
		{Budget{Percent: math.NaN()}, "got NaN"},
		{Budget{MinConcurrency: -3}, "retrybudget: min_concurrency must be at least 1, got -3"},
	} {
		_, err := New(tc.b)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.b, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one containing %q", tc.b, err, tc.want)
		}
	}
}

func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		b        Budget
		inFlight int64
		want     int64
	}{
		{Budget{Percent: 20, MinConcurrency: 3}, 0, 3},
		{Budget{Percent: 20, MinConcurrency: 3}, 10, 3},
		{Budget{Percent: 20, MinConcurrency: 3}, 19, 3},
		{Budget{Percent: 20, MinConcurrency: 3}, 20, 4},
		{Budget{Percent: 20, MinConcurrency: 3}, 24, 4}, // rounded down
		{Budget{Percent: 20, MinConcurrency: 3}, 1000, 200},
		{Budget{Percent: 25, MinConcurrency: 1}, 100, 25},
		{Budget{Percent: 100, MinConcurrency: 1}, 7, 7},
		{Budget{Percent: 0.5, MinConcurrency: 1}, 1000, 5},
	} {
		if got := tc.b.Limit(tc.inFlight); got != tc.want {
			t.Errorf("%+v with %d in flight: limit %d, want %d", tc.b, tc.inFlight, got, tc.want)
		}
	}
}

func TestTryRetry(t *testing.T) {
	tr := mustNew(t, Budget{})
	for range 20 {
		tr.Start()
	}
	// 20 in flight at 20%: 4 retries, then refusals.
	var releases []func()
	for i := range 4 {
		ok, rel := tr.TryRetry()
		if !ok {
			t.Fatalf("retry %d refused under the limit: %+v", i+1, tr.Stats())
		}
		releases = append(releases, rel)
	}
	if ok, rel := tr.TryRetry(); ok || rel != nil {
		t.Fatalf("5th retry admitted: %+v", tr.Stats())
	}
	releases[0]()
	releases[0]() // a second release must not free a second slot
	if ok, _ := tr.TryRetry(); !ok {
		t.Fatal("retry refused after a release")
	}
	if ok, _ := tr.TryRetry(); ok {
		t.Fatal("a double release freed two slots")
	}
	want := Stats{InFlight: 20, RetriesInFlight: 4, Limit: 4, Admitted: 5, Exhausted: 2}
	if got := tr.Stats(); got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}

func TestFloorWithNoTraffic(t *testing.T) {
	tr := mustNew(t, Budget{})
	for i := range 3 {
		if ok, _ := tr.TryRetry(); !ok {
			t.Fatalf("retry %d refused below MinConcurrency", i+1)
		}
	}
	if ok, _ := tr.TryRetry(); ok {
		t.Fatal("4th retry admitted with nothing in flight")
	}
}

func TestShrinkingTrafficAdmitsNoMore(t *testing.T) {
	tr := mustNew(t, Budget{})
	for range 30 {
		tr.Start()
	}
	for range 6 {
		if ok, _ := tr.TryRetry(); !ok {
			t.Fatal("retry refused under the limit of 6")
		}
	}
	for range 25 {
		tr.Done()
	}
	// Retries admitted earlier stay; new ones wait until the 6 fall to 3.
	if ok, _ := tr.TryRetry(); ok {
		t.Fatalf("retry admitted over the limit: %+v", tr.Stats())
	}
}

func TestDoneWithoutStartPanics(t *testing.T) {
	tr := mustNew(t, Budget{})
	defer func() {
		if recover() == nil {
			t.Fatal("Done without Start did not panic")
		}
	}()
	tr.Done()
}

// TestConcurrent runs under -race. Every goroutine starts a request, then
// all of them retry hard at once while the requests in flight are fixed,
// so the limit is known and the retries the test itself counts as in
// flight must never pass it.
func TestConcurrent(t *testing.T) {
	const goroutines = 40
	tr := mustNew(t, Budget{})
	limit := tr.Budget().Limit(goroutines) // 8
	var (
		started, retried sync.WaitGroup
		inside, peak     atomic.Int64
	)
	started.Add(goroutines)
	retried.Add(goroutines)
	var all sync.WaitGroup
	for range goroutines {
		all.Go(func() {
			tr.Start()
			started.Done()
			started.Wait()
			for range 2000 {
				ok, release := tr.TryRetry()
				if !ok {
					continue
				}
				n := inside.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				runtime.Gosched() // hold the retry while others try
				inside.Add(-1)
				release()
			}
			retried.Done()
			retried.Wait()
			tr.Done()
		})
	}
	all.Wait()
	s := tr.Stats()
	if p := peak.Load(); p > limit || p < 1 {
		t.Fatalf("peak retries in flight %d, want 1..%d", p, limit)
	}
	if s.InFlight != 0 || s.RetriesInFlight != 0 {
		t.Fatalf("counters not back to zero: %+v", s)
	}
	if s.Admitted+s.Exhausted != goroutines*2000 {
		t.Fatalf("admitted %d + exhausted %d, want %d tries", s.Admitted, s.Exhausted, goroutines*2000)
	}
	t.Logf("peak %d of %d; admitted %d, exhausted %d", peak.Load(), limit, s.Admitted, s.Exhausted)
}

func BenchmarkStartTryRetryDone(b *testing.B) {
	tr := mustNew(b, Budget{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr.Start()
			if ok, release := tr.TryRetry(); ok {
				release()
			}
			tr.Done()
		}
	})
}

// TestAwaitRetry: a retry that finds the budget full waits for a release
// rather than being refused at once, and is refused (and counted) only
// when none comes in time or its request is gone.
func TestAwaitRetry(t *testing.T) {
	tr := mustNew(t, Budget{Percent: 1, MinConcurrency: 1})
	tr.Start()
	defer tr.Done()
	ok, release := tr.TryRetry()
	if !ok {
		t.Fatal("the first retry was refused")
	}
	got := make(chan bool, 1)
	go func() {
		ok, rel := tr.AwaitRetry(context.Background(), 10*time.Second)
		if ok {
			rel()
		}
		got <- ok
	}()
	for tr.waiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	release()
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("a waiting retry was refused although a slot was released")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting retry was not admitted 10 s after a slot was released")
	}
	ok, release = tr.TryRetry()
	defer release()
	if ok, _ := tr.AwaitRetry(context.Background(), 20*time.Millisecond); ok || tr.Stats().Exhausted != 1 {
		t.Errorf("with the budget held: admitted %v, exhausted %d; want refused and counted once", ok, tr.Stats().Exhausted)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, _ := tr.AwaitRetry(ctx, 10*time.Second); ok {
		t.Error("a retry of a request that is gone was admitted")
	}
}

// TestAwaitRetryBurst: 40 retries failing at the same instant against a
// budget of 4 are all admitted, a few at a time, as the ones before them
// finish; never more than 4 are in flight.
func TestAwaitRetryBurst(t *testing.T) {
	tr := mustNew(t, Budget{Percent: 10, MinConcurrency: 4})
	var peak, now atomic.Int64
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 40 {
		tr.Start()
		wg.Go(func() {
			defer tr.Done()
			ok, release := tr.AwaitRetry(context.Background(), 10*time.Second)
			if !ok {
				refused.Add(1)
				return
			}
			n := now.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			now.Add(-1)
			release()
		})
	}
	wg.Wait()
	if refused.Load() != 0 || peak.Load() > 4 {
		t.Errorf("refused %d, peak %d in flight; want none refused and at most 4 at once", refused.Load(), peak.Load())
	}
}

package scheduler

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncWait bounds a wait for something the test expects to happen. Tests
// run in synctest bubbles, so it passes in fake time at once when
// everything is blocked: a deadlock guard, not a timing assertion.
const syncWait = 10 * time.Second

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// waitPending waits until every goroutine of the test's synctest bubble is
// blocked, then wants n timers armed on clk: every job goroutine has
// finished reacting to the last Advance.
func waitPending(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	synctest.Wait()
	if got := clk.Pending(); got != n {
		t.Fatalf("once every goroutine waits, %d timers are armed, want %d", got, n)
	}
}

// recorder collects emitted observations.
type recorder struct {
	mu  sync.Mutex
	obs []model.Observation
}

func (r *recorder) emit(o model.Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs = append(r.obs, o)
}

func (r *recorder) all() []model.Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]model.Observation(nil), r.obs...)
}

func job(name string, interval time.Duration) Job {
	return Job{Endpoint: name, Check: config.Check{Type: config.CheckTCP, Port: 1, Interval: interval, Timeout: interval}}
}

// running starts s.Run and returns a function that stops it and fails the
// test if Run does not return.
func running(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(syncWait):
			t.Fatalf("Run did not return within %s of cancel", syncWait)
		}
	}
}

package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncWait bounds how long a test waits for goroutines to catch up with the
// fake clock. It is a deadlock guard, not a timing assertion.
const syncWait = 10 * time.Second

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// waitPending waits until n timers are armed on clk, which means every job
// goroutine has finished reacting to the last Advance.
func waitPending(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	deadline := time.Now().Add(syncWait)
	for clk.Pending() != n {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d armed timers, saw %d", syncWait, n, clk.Pending())
		}
		time.Sleep(100 * time.Microsecond)
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

package scheduler

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/model"
)

// scriptedProbe answers with the next result of its script and records
// when each probe started.
type scriptedProbe struct {
	clk    *clock.Fake
	mu     sync.Mutex
	script []bool
	starts []time.Time
}

func (p *scriptedProbe) probe(context.Context, Job) model.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	up := p.script[min(len(p.starts), len(p.script)-1)]
	p.starts = append(p.starts, p.clk.Now())
	return model.Result{Up: up}
}

func (p *scriptedProbe) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.starts)
}

// TestFastIntervalWhileSettling: a failed probe of an up endpoint is
// followed a fast interval later, until fall failures confirm the change
// or a good probe cancels it; then the job is back on its grid. Coming up
// is the same with rise.
func TestFastIntervalWhileSettling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const iv, fast = time.Second, 250 * time.Millisecond
		up, down := true, false
		// Each step: the probe's result, and the gap to the next probe's start.
		steps := []struct {
			result bool
			next   time.Duration
			why    string
		}{
			{up, iv, "the first result sets the state: no hurry"},
			{down, fast, "one failure of an up endpoint: confirm quickly"},
			{up, iv, "a good probe cancels the change: back on the grid"},
			{down, fast, "a failure again"},
			{down, fast, "second failure: fall 3 not reached yet"},
			{down, iv, "third failure: down is confirmed, regular again"},
			{up, fast, "one good probe of a down endpoint: confirm quickly"},
			{up, iv, "second good probe: rise 2 reached"},
			{up, iv, "steady"},
		}
		clk := clock.NewFake(t0)
		p := &scriptedProbe{clk: clk}
		for _, s := range steps {
			p.script = append(p.script, s.result)
		}
		j := Job{Endpoint: "web-1", Check: config.Check{Type: config.CheckTCP, Port: 1, Interval: iv, FastInterval: fast,
			Timeout: iv, Fall: 3, Rise: 2}}
		s := New(Options{Clock: clk, Seed: 7, Probe: p.probe}, []Job{j})
		stop := running(t, s)
		defer stop()
		waitPending(t, clk, 1)
		clk.Advance(s.jobs[0].offset)
		at := t0.Add(s.jobs[0].offset)
		for i, step := range steps[:len(steps)-1] {
			waitProbes(t, p, i+1)
			waitPending(t, clk, 1)
			clk.Advance(step.next - time.Millisecond)
			if n := p.count(); n != i+1 {
				t.Fatalf("step %d (%s): probe %d started %s early", i, step.why, n, time.Millisecond)
			}
			clk.Advance(time.Millisecond)
			at = at.Add(step.next)
			waitProbes(t, p, i+2)
			if got := p.start(i + 1); !got.Equal(at) {
				t.Fatalf("step %d (%s): next probe at +%s, want +%s", i, step.why, got.Sub(t0), at.Sub(t0))
			}
		}
	})
}

func (p *scriptedProbe) start(i int) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts[i]
}

func waitProbes(t *testing.T, p *scriptedProbe, n int) {
	t.Helper()
	synctest.Wait()
	if got := p.count(); got < n {
		t.Fatalf("once every goroutine waits, %d probes ran, want %d", got, n)
	}
}

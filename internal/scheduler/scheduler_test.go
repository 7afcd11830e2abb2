package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"outlast/internal/clock"
	"outlast/internal/model"
)

func TestNextSlot(t *testing.T) {
	const iv = time.Second
	prev := t0
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"on time", t0.Add(200 * time.Millisecond), t0.Add(iv)},
		{"finished exactly at the next slot", t0.Add(iv), t0.Add(iv)},
		{"a little late", t0.Add(iv + time.Millisecond), t0.Add(iv)},
		{"missed one slot", t0.Add(2*iv + 500*time.Millisecond), t0.Add(2 * iv)},
		{"missed many slots", t0.Add(10*iv + time.Millisecond), t0.Add(10 * iv)},
	}
	for _, tt := range tests {
		if got := nextSlot(prev, iv, tt.now); !got.Equal(tt.want) {
			t.Errorf("%s: nextSlot = +%s, want +%s", tt.name, got.Sub(t0), tt.want.Sub(t0))
		}
	}
}

// A thousand endpoints must not be probed in lockstep: first probes spread
// over the interval.
func TestFirstProbesSpreadOverInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			jobs    = 1000
			iv      = time.Second
			step    = 10 * time.Millisecond
			buckets = 10
		)
		clk := clock.NewFake(t0)
		rec := &recorder{}
		var list []Job
		for i := range jobs {
			list = append(list, job(fmt.Sprintf("ep%d", i), iv))
		}
		s := New(Options{Clock: clk, Vantage: "v1", Seed: 1, Emit: rec.emit,
			Probe: func(context.Context, Job) model.Result { return model.Result{Up: true, Reason: model.ReasonOK} },
		}, list)
		stop := running(t, s)
		defer stop()

		waitPending(t, clk, jobs)
		for range iv / step {
			clk.Advance(step)
			waitPending(t, clk, jobs)
		}

		first := map[string]time.Time{}
		for _, o := range rec.all() {
			if _, seen := first[o.Endpoint]; !seen {
				first[o.Endpoint] = o.At
			}
		}
		if len(first) != jobs {
			t.Fatalf("%d of %d jobs probed within the first interval", len(first), jobs)
		}
		var count [buckets]int
		for _, at := range first {
			// At is the end of the step in which the probe ran; -1ns puts a
			// probe due exactly on a bucket's end back in that bucket.
			count[int(at.Sub(t0)-1)/int(iv/buckets)]++
		}
		t.Logf("first probes per tenth of the interval: %v", count)
		fair := jobs / buckets
		for b, n := range count {
			if n > 2*fair {
				t.Errorf("bucket %d of the interval got %d first probes, want at most %d (2x fair share); all buckets: %v", b, n, 2*fair, count)
			}
		}
	})
}

// blockingProbe reports each probe's start time and waits for release.
type blockingProbe struct {
	clk     *clock.Fake
	started chan time.Time
	release chan struct{}
}

func newBlockingProbe(clk *clock.Fake) *blockingProbe {
	return &blockingProbe{clk: clk, started: make(chan time.Time), release: make(chan struct{})}
}

func (p *blockingProbe) probe(ctx context.Context, j Job) model.Result {
	select {
	case p.started <- p.clk.Now():
	case <-ctx.Done():
		return model.Result{Reason: model.ReasonError, Detail: "canceled"}
	}
	select {
	case <-p.release:
		return model.Result{Up: true, Reason: model.ReasonOK, Latency: time.Millisecond}
	case <-ctx.Done():
		return model.Result{Reason: model.ReasonError, Detail: "canceled"}
	}
}

func (p *blockingProbe) waitStart(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-p.started:
		return at
	case <-time.After(syncWait):
		t.Fatalf("no probe started within %s", syncWait)
		return time.Time{}
	}
}

// Probes run at offset + k*interval however long each one takes.
func TestFixedRateWithoutDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const iv = time.Second
		clk := clock.NewFake(t0)
		rec := &recorder{}
		p := newBlockingProbe(clk)
		s := New(Options{Clock: clk, Vantage: "aws-use1", Seed: 7, Emit: rec.emit, Probe: p.probe}, []Job{job("web-1", iv)})
		stop := running(t, s)
		defer stop()
		offset := s.jobs[0].offset

		waitPending(t, clk, 1)
		clk.Advance(offset)
		const took = 300 * time.Millisecond
		for k := range 5 {
			want := t0.Add(offset + time.Duration(k)*iv)
			if at := p.waitStart(t); !at.Equal(want) {
				t.Fatalf("probe %d started at +%s, want +%s", k, at.Sub(t0), want.Sub(t0))
			}
			clk.Advance(took) // the probe takes a while
			p.release <- struct{}{}
			waitPending(t, clk, 1)
			clk.Advance(iv - took)
		}

		obs := rec.all()
		if len(obs) != 5 {
			t.Fatalf("%d observations, want 5", len(obs))
		}
		for k, o := range obs {
			wantAt := t0.Add(offset + time.Duration(k)*iv + took)
			if o.Vantage != "aws-use1" || o.Endpoint != "web-1" || !o.At.Equal(wantAt) || !o.Result.Up {
				t.Errorf("observation %d = %+v, want vantage aws-use1, endpoint web-1, at +%s (when the probe finished), up", k, o, wantAt.Sub(t0))
			}
		}
	})
}

// A probe that overran its slot is followed at once by the next, and then
// the job is back on its grid, without a burst for the missed slots.
func TestOverrunSkipsMissedSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const iv = time.Second
		clk := clock.NewFake(t0)
		p := newBlockingProbe(clk)
		s := New(Options{Clock: clk, Seed: 7, Probe: p.probe}, []Job{job("web-1", iv)})
		stop := running(t, s)
		defer stop()
		offset := s.jobs[0].offset

		waitPending(t, clk, 1)
		clk.Advance(offset)
		p.waitStart(t)
		clk.Advance(2*iv + iv/2) // the process stalled through two slots
		p.release <- struct{}{}
		waitPending(t, clk, 1)

		clk.Advance(0)
		if at, want := p.waitStart(t), t0.Add(offset+2*iv+iv/2); !at.Equal(want) {
			t.Fatalf("probe after the overrun started at +%s, want at once (+%s)", at.Sub(t0), want.Sub(t0))
		}
		p.release <- struct{}{}
		waitPending(t, clk, 1)
		clk.Advance(iv / 2)
		if at, want := p.waitStart(t), t0.Add(offset+3*iv); !at.Equal(want) {
			t.Fatalf("next probe started at +%s, want back on the grid at +%s", at.Sub(t0), want.Sub(t0))
		}
		p.release <- struct{}{}
		waitPending(t, clk, 1)
	})
}

// Cancel during a probe: Run waits for it, emits nothing for it, and
// leaves no goroutine behind (goleak in TestMain).
func TestRunReturnsAfterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewFake(t0)
		rec := &recorder{}
		p := newBlockingProbe(clk)
		s := New(Options{Clock: clk, Seed: 3, Emit: rec.emit, Probe: p.probe},
			[]Job{job("a", time.Second), job("b", time.Second), job("c", 5*time.Second)})
		stop := running(t, s)

		waitPending(t, clk, 3)
		clk.Advance(s.jobs[0].offset)
		p.waitStart(t) // job a's probe (at least) is now in flight
		stop()
		if obs := rec.all(); len(obs) != 0 {
			t.Errorf("emitted %d observations from probes cut short by shutdown, want none: %+v", len(obs), obs)
		}
	})
}

func TestRunRejectsZeroInterval(t *testing.T) {
	s := New(Options{Clock: clock.NewFake(t0)}, []Job{job("ok", time.Second), job("bad", 0)})
	err := s.Run(context.Background())
	if !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("Run = %v, want ErrInvalidJob", err)
	}
}

func TestOffsetsReproducibleBySeed(t *testing.T) {
	list := []Job{job("a", time.Second), job("b", time.Second), job("c", time.Minute)}
	x, y := New(Options{Seed: 42}, list), New(Options{Seed: 42}, list)
	for i := range list {
		if x.jobs[i].offset != y.jobs[i].offset {
			t.Errorf("job %d: offsets %s and %s from the same seed", i, x.jobs[i].offset, y.jobs[i].offset)
		}
		if off := x.jobs[i].offset; off < 0 || off >= list[i].Check.Interval {
			t.Errorf("job %d: offset %s outside [0, %s)", i, off, list[i].Check.Interval)
		}
	}
}

package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/health"
	"outlast/internal/model"
	"outlast/internal/probe"
)

// ErrInvalidJob is returned by Run for a job it cannot schedule.
var ErrInvalidJob = errors.New("scheduler: invalid job")

// Job is one endpoint probed one way.
type Job struct {
	// Endpoint is the endpoint's name, copied into every Observation.
	Endpoint string
	// Target is the address and port probed.
	Target probe.Target
	// Check says how and how often to probe. Interval must be positive.
	Check config.Check
	// Addrs, when set, gives a hostname target's current addresses just
	// before each probe, into Target.Addrs: the node's resolver refreshes
	// them in the background, and each probe must judge the addresses
	// clients are answered now. It must not block.
	Addrs func() []netip.Addr
}

// Options configure a Scheduler. Every field is optional.
type Options struct {
	// Clock drives the schedule (default clock.Real).
	Clock clock.Clock
	// Vantage is this node's name, copied into every Observation.
	Vantage string
	// Probe runs one probe (default: probe.Run on the job's target and check).
	// It must return within the job's timeout and is called for several jobs at once.
	Probe func(context.Context, Job) model.Result
	// Emit receives each observation as its probe finishes (default: dropped).
	// It is called from many goroutines at once and must not block for long,
	// or it delays that job's next probe.
	Emit func(model.Observation)
	// Late, when set, is told how long after its slot each probe started:
	// with thousands of endpoints on a busy host, whether probing keeps up.
	Late func(time.Duration)
	// Seed makes the first-probe offsets reproducible (default 0: random).
	Seed int64
	// Logger receives start and stop messages (default: discarded).
	Logger *slog.Logger
}

// Scheduler probes a fixed set of jobs. Build one with New and start it
// once with Run; a configuration change means a new Scheduler.
type Scheduler struct {
	clock   clock.Clock
	vantage string
	probe   func(context.Context, Job) model.Result
	emit    func(model.Observation)
	late    func(time.Duration)
	log     *slog.Logger
	jobs    []scheduled
}

// scheduled is a job with its first-probe offset.
type scheduled struct {
	Job
	offset time.Duration
}

// New prepares a Scheduler for jobs, drawing each job's first-probe offset.
func New(opts Options, jobs []Job) *Scheduler {
	s := &Scheduler{
		clock:   opts.Clock,
		vantage: opts.Vantage,
		probe:   opts.Probe,
		emit:    opts.Emit,
		late:    opts.Late,
		log:     opts.Logger,
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.probe == nil {
		s.probe = func(ctx context.Context, j Job) model.Result { return probe.Run(ctx, j.Target, j.Check) }
	}
	if s.emit == nil {
		s.emit = func(model.Observation) {}
	}
	if s.late == nil {
		s.late = func(time.Duration) {}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "scheduler")
	s.jobs = withOffsets(jobs, opts.Seed)
	return s
}

// withOffsets draws each job's offset uniformly from [0, interval).
func withOffsets(jobs []Job, seed int64) []scheduled {
	src := uint64(seed)
	if seed == 0 {
		src = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(src, src))
	out := make([]scheduled, len(jobs))
	for i, j := range jobs {
		out[i] = scheduled{Job: j}
		if j.Check.Interval > 0 {
			out[i].offset = time.Duration(rng.Int64N(int64(j.Check.Interval)))
		}
	}
	return out
}

// Run probes every job until ctx is done, then waits for the probes in
// flight, which their timeouts bound, and returns nil. It returns an error
// at once, probing nothing, if a job cannot be scheduled.
func (s *Scheduler) Run(ctx context.Context) error {
	for _, j := range s.jobs {
		if j.Check.Interval <= 0 {
			return fmt.Errorf("%w: endpoint %q has interval %s, want > 0", ErrInvalidJob, j.Endpoint, j.Check.Interval)
		}
	}
	base := s.clock.Now()
	s.log.Info("scheduler started", "jobs", len(s.jobs), "vantage", s.vantage)
	var wg sync.WaitGroup
	for i := range s.jobs {
		wg.Go(func() { s.loop(ctx, base, &s.jobs[i]) })
	}
	wg.Wait()
	s.log.Info("scheduler stopped", "jobs", len(s.jobs))
	return nil
}

// loop probes one job at base + offset + k*interval until ctx is done,
// and every FastInterval while a change of the endpoint's state is being
// confirmed (HAProxy's fastinter, Envoy's edge intervals): the second of
// fall 2 failures comes a quarter interval after the first, not a whole one.
func (s *Scheduler) loop(ctx context.Context, base time.Time, j *scheduled) {
	slot := base.Add(j.offset) // the next probe on the regular grid
	due := slot                // when the timer fires: slot, or sooner while settling
	var st health.Hysteresis   // the job's own results, as the engine judges a view
	timer := s.clock.NewTimer(due.Sub(s.clock.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		}
		s.late(s.clock.Now().Sub(due))
		res := s.run(ctx, j.Job)
		if ctx.Err() != nil {
			// A probe cut short by shutdown says nothing about the endpoint.
			return
		}
		now := s.clock.Now()
		s.emit(model.Observation{Vantage: s.vantage, Endpoint: j.Endpoint, At: now, Result: res})
		if due.Equal(slot) || !now.Before(slot) {
			slot = nextSlot(slot, j.Check.Interval, now)
		}
		due = slot
		st.Add(res.Up, j.Check.Fall, j.Check.Rise)
		if fast := j.Check.FastInterval; st.Settling() && fast > 0 && now.Add(fast).Before(slot) {
			due = now.Add(fast)
		}
		timer.Reset(due.Sub(now))
	}
}

// run probes on a goroutine of its own. The job's goroutine only waits,
// so its stack stays small; the probe's deeper stack (dial, TLS, HTTP) is
// given back when the probe ends rather than kept by each of thousands of
// jobs between probes: about 50 MB of a 10,000-endpoint node's memory.
func (s *Scheduler) run(ctx context.Context, j Job) model.Result {
	if j.Addrs != nil {
		j.Target.Addrs = j.Addrs()
	}
	done := make(chan model.Result, 1)
	go func() { done <- s.probe(ctx, j) }()
	return <-done
}

// nextSlot is the slot after prev on the grid prev + k*interval. When that
// has already passed, it is the latest passed slot, so the caller probes at
// once but does not burst through every slot it missed.
func nextSlot(prev time.Time, interval time.Duration, now time.Time) time.Time {
	next := prev.Add(interval)
	if late := now.Sub(next); late >= interval {
		next = next.Add(late / interval * interval)
	}
	return next
}

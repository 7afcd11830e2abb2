//go:build linux

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"outlast/bench/internal/benchkit"
)

// result is everything the report prints.
type result struct {
	window     time.Duration // between the two scrapes
	cpuWindow  time.Duration // between the two CPU readings
	cpu        time.Duration // outlast's, over cpuWindow
	cpuSys     time.Duration // the kernel's part of cpu
	serverCPU  time.Duration
	machineCPU time.Duration

	hwm, rss, threads float64

	lateCount        float64
	lateP50, lateP99 float64 // seconds
	over50, over99   bool    // beyond the histogram's last bound

	goroutinesPeak float64
	samples        int

	probes, expected float64
	byResult         map[string]float64
	failed           float64
	failingEnds      int
	unprobed         int

	scrapeBytes, scrapeSamples int
	scrapeCPU, scrapeWall      time.Duration
	filteredCPU, countCPU      time.Duration

	profiles []string // pprof tops, when --profile
}

// measure runs the window: a scrape and CPU readings at each end, goroutine
// samples in between, then the cost of a scrape and, if asked, profiles.
func (b *bench) measure(ctx context.Context) (*result, error) {
	r := &result{}
	start, err := getMetrics(ctx, b.metricsURL(windowMetrics...))
	if err != nil {
		return nil, err
	}
	r.peek(start)
	c0, err := b.cpuNow()
	if err != nil {
		return nil, err
	}
	profDone := b.startCPUProfile(ctx)
	if err := b.sampleUntil(ctx, r, c0.at.Add(b.o.duration)); err != nil {
		return nil, err
	}
	c1, err := b.cpuNow()
	if err != nil {
		return nil, err
	}
	end, err := getMetrics(ctx, b.metricsURL(windowMetrics...))
	if err != nil {
		return nil, err
	}
	r.peek(end)
	r.cpuWindow, r.cpu, r.cpuSys = c1.at.Sub(c0.at), c1.node-c0.node, c1.nodeSys-c0.nodeSys
	r.serverCPU, r.machineCPU = c1.server-c0.server, c1.machine-c0.machine
	if err := b.memory(r); err != nil {
		return nil, err
	}
	r.compare(start, end, b.o)
	if err := b.scrapeCost(ctx, r); err != nil {
		return nil, err
	}
	r.profiles = b.finishProfiles(ctx, profDone)
	return r, nil
}

// cpuReading is the CPU used so far by outlast, the server and the machine.
type cpuReading struct {
	at                    time.Time
	node, server, machine time.Duration
	nodeSys               time.Duration
}

func (b *bench) cpuNow() (cpuReading, error) {
	c := cpuReading{at: time.Now()}
	user, sys, err := benchkit.ProcCPU(b.node.Pid())
	if err != nil {
		return c, fmt.Errorf("outlast serve: %w", err)
	}
	c.node, c.nodeSys = user+sys, sys
	user, sys, err = benchkit.ProcCPU(b.server.Pid())
	if err != nil {
		return c, fmt.Errorf("server: %w", err)
	}
	c.server = user + sys
	c.machine, _, err = benchkit.MachineCPU()
	return c, err
}

// windowMetrics are the metrics read at each end of the window.
var windowMetrics = []string{metricLate, metricResults, metricGoroutines}

// sampleUntil counts goroutines every --sample-every until the end of the
// window, and fails early if outlast died. It asks pprof, not /metrics:
// a /metrics request gathers every endpoint's series even when filtered.
func (b *bench) sampleUntil(ctx context.Context, r *result, end time.Time) error {
	for {
		wait := time.Until(end)
		if b.o.sampleEvery > 0 {
			wait = min(wait, b.o.sampleEvery)
		}
		if wait <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.node.Done():
			return fmt.Errorf("outlast serve exited during the window")
		case <-time.After(wait):
		}
		if time.Until(end) <= 0 {
			return nil
		}
		n, err := goroutineCount(ctx, b.pprofAddr)
		if err != nil {
			return err
		}
		r.goroutinesPeak = max(r.goroutinesPeak, n)
		r.samples++
	}
}

func (r *result) peek(s *scrape) {
	r.goroutinesPeak = max(r.goroutinesPeak, s.goroutines)
	r.samples++
}

func (b *bench) memory(r *result) error {
	m, err := benchkit.ProcMemory(b.node.Pid())
	if err != nil {
		return err
	}
	r.hwm, r.rss, r.threads = float64(m.PeakRSS), float64(m.RSS), float64(m.Threads)
	return nil
}

// compare fills in what happened between two scrapes: lateness quantiles,
// probes done and every outcome.
func (r *result) compare(start, end *scrape, o options) {
	r.window = end.At.Sub(start.At)
	late := end.late.Minus(start.late)
	r.lateCount = late.Total()
	p50, p99 := late.Quantile(0.50), late.Quantile(0.99)
	r.lateP50, r.over50 = p50.Value, p50.Over
	r.lateP99, r.over99 = p99.Value, p99.Over
	r.byResult = map[string]float64{}
	for k, v := range end.results {
		if d := v - start.results[k]; d > 0 {
			r.byResult[k] = d
			r.probes += d
		}
	}
	r.failed = r.probes - r.byResult["ok"]
	r.expected = float64(o.endpoints) * r.window.Seconds() / o.interval.Seconds()
	for i := 0; i < o.services; i++ {
		for e := 0; e < o.perService; e++ {
			name := endpointName(i, e)
			now, before := end.perEnd[name], start.perEnd[name]
			if now == nil || before == nil {
				r.unprobed++
				continue
			}
			if now.ok+now.failed == before.ok+before.failed {
				r.unprobed++
			}
			if now.failed > before.failed {
				r.failingEnds++
			}
		}
	}
}

// scrapeCost measures what reading outlast's state costs it: a full GET
// /metrics (with a series or more per endpoint, a cost of its own at this
// scale), a filtered one and the goroutine count the samples use. The
// probing that goes on meanwhile is taken off at the window's rate.
func (b *bench) scrapeCost(ctx context.Context, r *result) error {
	var last *scrape
	full := func() (err error) { last, err = getMetrics(ctx, b.metricsURL()); return err }
	filtered := func() error { _, err := getMetrics(ctx, b.metricsURL(metricGoroutines)); return err }
	count := func() error { _, err := goroutineCount(ctx, b.pprofAddr); return err }
	var err error
	if r.scrapeCPU, r.scrapeWall, err = b.costOf(r, 3, full); err != nil {
		return err
	}
	r.scrapeBytes, r.scrapeSamples = last.Bytes, last.Samples
	if r.filteredCPU, _, err = b.costOf(r, 3, filtered); err != nil {
		return err
	}
	r.countCPU, _, err = b.costOf(r, 10, count)
	return err
}

// costOf runs f n times and returns outlast's CPU and the wall time per
// run, less the CPU the window's probing would have used meanwhile.
func (b *bench) costOf(r *result, n int, f func() error) (cpu, wall time.Duration, err error) {
	c0, err := b.cpuNow()
	if err != nil {
		return 0, 0, err
	}
	for range n {
		if err := f(); err != nil {
			return 0, 0, err
		}
	}
	c1, err := b.cpuNow()
	if err != nil {
		return 0, 0, err
	}
	took := c1.at.Sub(c0.at)
	rate := float64(r.cpu) / float64(r.cpuWindow)
	cpu = (c1.node - c0.node - time.Duration(rate*float64(took))) / time.Duration(n)
	return cpu, took / time.Duration(n), nil
}

// goroutineCount reads the first line of pprof's goroutine profile,
// "goroutine profile: total N".
func goroutineCount(ctx context.Context, pprofAddr string) (float64, error) {
	data, err := benchkit.Get(ctx, "http://"+pprofAddr+"/debug/pprof/goroutine?debug=1", 30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("goroutines: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var n float64
	if _, err := fmt.Sscanf(line, "goroutine profile: total %g", &n); err != nil {
		return 0, fmt.Errorf("goroutines: %q: %w", line, err)
	}
	return n, nil
}

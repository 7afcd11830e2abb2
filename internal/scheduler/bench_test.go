//go:build unix

package scheduler

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"outlast/internal/model"
)

func noopProbe(context.Context, Job) model.Result {
	return model.Result{Up: true, Reason: model.ReasonOK}
}

func manyJobs(n int, interval time.Duration) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = job(fmt.Sprintf("ep%d", i), interval)
	}
	return jobs
}

// BenchmarkDispatch10k measures the scheduler's own cost per probe: 10,000
// jobs whose slots are always due, with a probe that does nothing. ns/op is
// wall time per observation on all cores.
func BenchmarkDispatch10k(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	target := int64(b.N)
	emit := func(model.Observation) {
		if n.Add(1) == target {
			cancel()
		}
	}
	s := New(Options{Probe: noopProbe, Emit: emit, Seed: 1}, manyJobs(10_000, time.Microsecond))
	b.ResetTimer()
	s.Run(ctx)
	b.StopTimer()
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "probes/s")
}

// BenchmarkSteady10kAt1s runs the target load, 10,000 jobs at 1 s, for 3 s
// of wall time per iteration with a probe that does nothing, and reports
// the process CPU time spent per second: the scheduling overhead at scale.
// Run it with -benchtime=1x.
func BenchmarkSteady10kAt1s(b *testing.B) {
	const run = 3 * time.Second
	var observations atomic.Int64
	emit := func(model.Observation) { observations.Add(1) }
	var cpu time.Duration
	for b.Loop() {
		s := New(Options{Probe: noopProbe, Emit: emit, Seed: 1}, manyJobs(10_000, time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), run)
		before := cpuTime()
		s.Run(ctx)
		cpu += cpuTime() - before
		cancel()
	}
	seconds := b.Elapsed().Seconds()
	b.ReportMetric(float64(cpu.Milliseconds())/seconds, "cpu-ms/s")
	b.ReportMetric(float64(observations.Load())/seconds, "probes/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build unix

package clients

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRun200Devices runs the default population for 3 s against a
// loopback nameserver and backend (both in this process, as in the lab) and
// reports the process's CPU time per wall second.
func BenchmarkRun200Devices(b *testing.B) {
	ips, port := backends(b, named("a"), named("b"))
	ns := startNameserver(b, ips...)
	const d = 3 * time.Second
	var cpu time.Duration
	var requests int
	for b.Loop() {
		before := cpuTime(b)
		rec := NewRecorder(time.Now())
		ctx, cancel := context.WithTimeout(context.Background(), d)
		if err := Run(ctx, Options{Nameservers: []string{ns.addr}, Name: service, Port: port}, rec); err != nil {
			b.Fatal(err)
		}
		cancel()
		cpu += cpuTime(b) - before
		requests += rec.Totals().Requests
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N)/d.Seconds(), "cpu-ms/s")
	b.ReportMetric(float64(requests)/float64(b.N)/d.Seconds(), "req/s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

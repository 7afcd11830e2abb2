//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// log is where progress goes: stderr, so stdout is the report alone.
func (b *bench) log() io.Writer { return os.Stderr }

// report prints the two tables, the notes and the key=value line.
func report(w io.Writer, o options, r results) {
	fmt.Fprintf(w, "\nkeep-alive throughput: wrk -t %d -c %d -d %v --latency, order outlast, haproxy, haproxy, outlast (%s)\n",
		o.threads, o.conns, o.duration, r.haproxyVersion)
	fmt.Fprintf(w, "%-16s %10s %8s %8s %8s %12s %10s\n", "proxy", "rps", "p50_ms", "p99_ms", "cpu_pct", "cpu_us/req", "errors")
	for _, t := range r.passes {
		fmt.Fprintf(w, "%-16s %10.0f %8.2f %8.2f %8.0f %12.1f %10d\n", t.proxy, t.wrk.RPS, ms(t.wrk.P50), ms(t.wrk.P99),
			100*t.cpu.Seconds()/o.duration.Seconds(), us(t.cpuPerRequest()), t.wrk.Non2xx+t.wrk.SocketErr)
	}
	for _, name := range []string{"outlast", "haproxy"} {
		m := r.mean(name)
		fmt.Fprintf(w, "%-16s %10.0f %8.2f %8.2f %8s %12.1f\n", name+" (mean)", m.rps, m.p50, m.p99, "", m.cpuUS)
	}

	fmt.Fprintf(w, "\nfault: Go load generator, %d keep-alive connections, client timeout %v, for %v; backend 1 SIGSTOPped from %v to the end\n",
		o.conns, o.timeout, o.duration, o.duration/3)
	fmt.Fprintf(w, "%-16s %9s %8s %8s %8s %8s %9s %9s %9s  %s\n", "proxy", "requests", "rps", "p50_ms", "p99_ms", "max_ms", "errors", "timeouts", "transport", "statuses")
	for _, f := range r.faults {
		l := f.load
		fmt.Fprintf(w, "%-16s %9d %8.0f %8.2f %8.2f %8.0f %9d %9d %9d  %s\n", f.proxy, l.Requests, l.RPS(),
			ms(l.Latency.quantile(0.5)), ms(l.Latency.quantile(0.99)), ms(l.Latency.quantile(1)),
			l.Errors(), l.Timeouts, l.Transport, statuses(l.Statuses))
	}
	fmt.Fprintln(w)
	for _, f := range r.faults {
		fmt.Fprintf(w, "%s errors by the second their request began: %s\n", f.proxy, bySecond(f.load.ErrorsAt))
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
	out, ha := r.mean("outlast"), r.mean("haproxy")
	ratio := "n/a"
	if ha.rps > 0 {
		ratio = fmt.Sprintf("%.2f", out.rps/ha.rps)
	}
	fmt.Fprintf(w, "goals: outlast >= 0.5x haproxy's rps (ratio_haproxy), fewer client errors than haproxy during the fault\n")
	fmt.Fprintf(w, "rps_outlast=%.0f rps_haproxy=%.0f ratio_haproxy=%s errors_outlast=%d errors_haproxy=%d errors_haproxy_retry_on=%d duration_s=%g\n",
		out.rps, ha.rps, ratio, r.faultErrors("outlast"), r.faultErrors("haproxy"), r.faultErrors("haproxy-retry-on"), o.duration.Seconds())
}

// meanPass is a proxy's throughput figures, averaged over its passes.
type meanPass struct{ rps, p50, p99, cpuUS float64 }

func (r results) mean(name string) meanPass {
	var m meanPass
	n := 0
	for _, t := range r.passes {
		if t.proxy != name {
			continue
		}
		m.rps += t.wrk.RPS
		m.p50 += ms(t.wrk.P50)
		m.p99 += ms(t.wrk.P99)
		m.cpuUS += us(t.cpuPerRequest())
		n++
	}
	if n > 0 {
		m = meanPass{m.rps / float64(n), m.p50 / float64(n), m.p99 / float64(n), m.cpuUS / float64(n)}
	}
	return m
}

func (r results) faultErrors(name string) int64 {
	for _, f := range r.faults {
		if f.proxy == name {
			return f.load.Errors()
		}
	}
	return -1
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// statuses is "503:12 504:3", or "-".
func statuses(m map[int]int64) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d:%d", c, m[c]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// bySecond is "s3:12 s4:40" for the seconds with errors, or "none".
func bySecond(errs []int64) string {
	var parts []string
	for s, n := range errs {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("s%d:%d", s, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

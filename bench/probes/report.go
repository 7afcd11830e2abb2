//go:build linux

package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"outlast/internal/conncap"
)

// The goal of issue 7 for one node probing 10,000 endpoints every second.
const (
	goalCores   = 1.0
	goalRSSMB   = 300.0
	goalP99Late = 100 * time.Millisecond
)

func report(w io.Writer, o options, r *result) {
	cores := r.cpu.Seconds() / r.cpuWindow.Seconds()
	rssMB := r.hwm / 1e6
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("what", "figure")
	row("endpoints", "%d (%d services × %d, %s1-%d × %d ports)", o.endpoints, o.services, o.perService,
		o.addrBase, o.perService, o.services)
	row("check", "http, interval %s, timeout %s", o.interval, o.timeout)
	row("window", "%.1f s", r.window.Seconds())
	row("outlast CPU", "%.3f cores (%.1f s over %.1f s; %.0f%% in the kernel)", cores, r.cpu.Seconds(),
		r.cpuWindow.Seconds(), 100*r.cpuSys.Seconds()/r.cpu.Seconds())
	row("outlast peak RSS (VmHWM)", "%.0f MB (at the end %.0f MB, %.0f threads)", rssMB, r.rss/1e6, r.threads)
	row("probe start lateness p50", "%s", lateMS(r.lateP50, r.over50))
	row("probe start lateness p99", "%s (%s probes in the histogram)", lateMS(r.lateP99, r.over99), count(r.lateCount))
	row("goroutines, peak", "%s (%d samples)", count(r.goroutinesPeak), r.samples)
	row("probes done", "%.0f/s (%s; %s expected)", r.probes/r.window.Seconds(), count(r.probes), count(r.expected))
	row("outlast CPU per probe", "%.1f µs", cores*1e6/(r.probes/r.window.Seconds()))
	row("probe outcomes", "%s", outcomes(r.byResult))
	row("endpoints failing / not probed", "%d / %d", r.failingEnds, r.unprobed)
	row("server CPU (not outlast's)", "%.3f cores", r.serverCPU.Seconds()/r.cpuWindow.Seconds())
	row("machine CPU, all processes", "%.2f cores", r.machineCPU.Seconds()/r.cpuWindow.Seconds())
	row("one GET /metrics", "%.1f MB, %s samples, %s CPU in outlast, %.0f ms wall",
		float64(r.scrapeBytes)/1e6, count(float64(r.scrapeSamples)), costMS(r.scrapeCPU), ms(r.scrapeWall))
	row("filtered GET /metrics?name[]=go_goroutines", "%s CPU in outlast (every series is still gathered)", costMS(r.filteredCPU))
	row("goroutine count from pprof", "%s CPU in outlast (the window's samples)", costMS(r.countCPU))
	row("RLIMIT_NOFILE", "%d (outlast and the server inherit it)", conncap.OpenFileLimit())
	row("goal (≤1 core, <300 MB, p99 <100 ms)", "%s", goal(cores, rssMB, r))
	tw.Flush()
	for _, p := range r.profiles {
		fmt.Fprintf(w, "\n%s", p)
	}
	fmt.Fprintf(w, "\nendpoints=%d interval_s=%g duration_s=%.0f cpu_cores=%.3f rss_peak_mb=%.0f "+
		"cpu_sys_share=%.2f lateness_p50_ms=%s lateness_p99_ms=%s goroutines_peak=%.0f probes_per_s=%.0f probe_failures=%.0f "+
		"unprobed=%d scrape_mb=%.1f scrape_cpu_ms=%.0f server_cores=%.3f machine_cores=%.2f\n",
		o.endpoints, o.interval.Seconds(), r.window.Seconds(), cores, rssMB, r.cpuSys.Seconds()/r.cpu.Seconds(),
		lateKV(r.lateP50, r.over50), lateKV(r.lateP99, r.over99), r.goroutinesPeak,
		r.probes/r.window.Seconds(), r.failed, r.unprobed, float64(r.scrapeBytes)/1e6, ms(r.scrapeCPU),
		r.serverCPU.Seconds()/r.cpuWindow.Seconds(), r.machineCPU.Seconds()/r.cpuWindow.Seconds())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// costMS prints a cost measured against the window's rate; on an
// overloaded node that rate says nothing and the difference can go negative.
func costMS(d time.Duration) string {
	if d < 0 {
		return "n/a (node overloaded)"
	}
	return fmt.Sprintf("%.1f ms", ms(d))
}

func lateMS(sec float64, over bool) string {
	if math.IsNaN(sec) {
		return "no probes"
	}
	if over {
		return fmt.Sprintf("more than %.0f ms (beyond the last bucket)", sec*1000)
	}
	return fmt.Sprintf("%.2f ms", sec*1000)
}

// lateKV is a lateness for the summary line: ">1000" past the last bucket.
func lateKV(sec float64, over bool) string {
	if over {
		return fmt.Sprintf(">%.0f", sec*1000)
	}
	return fmt.Sprintf("%.2f", sec*1000)
}

func outcomes(m map[string]float64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, count(m[k])))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func goal(cores, rssMB float64, r *result) string {
	var missed []string
	if cores > goalCores {
		missed = append(missed, "CPU")
	}
	if rssMB >= goalRSSMB {
		missed = append(missed, "RSS")
	}
	if r.over99 || r.lateP99 >= goalP99Late.Seconds() {
		missed = append(missed, "lateness")
	}
	if r.failed > 0 || r.unprobed > 0 {
		return "void: probes failed or did not run"
	}
	if len(missed) == 0 {
		return "met"
	}
	return "missed: " + strings.Join(missed, ", ")
}

// count prints n with thousands separators.
func count(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"outlast/bench/internal/benchkit"
)

// throughput is one wrk pass through one proxy, with the proxy's CPU.
type throughput struct {
	proxy string
	wrk   wrkResult
	cpu   time.Duration // user + system of the proxy over the pass
}

// cpuPerRequest is the proxy's CPU per request answered.
func (t throughput) cpuPerRequest() time.Duration {
	if t.wrk.Requests == 0 {
		return 0
	}
	return t.cpu / time.Duration(t.wrk.Requests)
}

// fault is one fault pass through one proxy.
type fault struct {
	proxy string
	load  loadResult
	cpu   time.Duration
}

type results struct {
	haproxyVersion string
	passes         []throughput // in the order run
	faults         []fault
	notes          []string
}

// measure runs the throughput passes in the order outlast, HAProxy,
// HAProxy, outlast (a machine that speeds up or slows down during the run
// favours neither), then one fault pass through each, and through HAProxy
// with retry-on as well.
func (b *bench) measure(ctx context.Context) (results, error) {
	res := results{haproxyVersion: b.haproxyVersion}
	ps := b.proxies()
	for i, p := range []proxyUnder{ps[0], ps[1], ps[1], ps[0]} {
		var profiled chan string
		if i == 0 && b.o.profile != "" {
			profiled = make(chan string, 1)
			go func() { profiled <- b.saveProfile(ctx) }()
		}
		t, err := b.throughputPass(ctx, p)
		if err != nil {
			return res, err
		}
		res.passes = append(res.passes, t)
		if profiled != nil {
			res.notes = append(res.notes, <-profiled)
		}
	}
	for _, p := range b.faultProxies() {
		if err := b.waitBoth(ctx, p); err != nil {
			return res, fmt.Errorf("before the fault pass: %w", err)
		}
		f, err := b.faultPass(ctx, p)
		if err != nil {
			return res, err
		}
		res.faults = append(res.faults, f)
		if p.name == "outlast" {
			res.notes = append(res.notes, b.outlastProxyMetrics(ctx)...)
		}
	}
	return res, nil
}

func (b *bench) throughputPass(ctx context.Context, p proxyUnder) (throughput, error) {
	fmt.Fprintf(b.log(), "wrk through %s for %v\n", p.name, b.o.duration)
	c0, err := cpuOf(p.proc)
	if err != nil {
		return throughput{}, err
	}
	w, err := runWrk(ctx, "http://"+p.addr+path, routeHost, b.o.conns, b.o.threads, b.o.duration, b.o.timeout)
	if err != nil {
		return throughput{}, fmt.Errorf("%s: %w", p.name, err)
	}
	c1, err := cpuOf(p.proc)
	if err != nil {
		return throughput{}, err
	}
	return throughput{proxy: p.name, wrk: w, cpu: c1 - c0}, nil
}

// faultPass loads the proxy with the Go load generator for the duration
// and SIGSTOPs backend 1 at one third; it stays stopped until the last
// answer is in. Resumed earlier, it would answer the requests it held
// (late, but 200): a fault shorter than the proxies' per-try timeout tests
// nothing, and a short --duration would make it so.
func (b *bench) faultPass(ctx context.Context, p proxyUnder) (fault, error) {
	fmt.Fprintf(b.log(), "fault pass through %s for %v: backend 1 stopped from %v to the end\n",
		p.name, b.o.duration, b.o.duration/3)
	var faultErr error
	during := func(ctx context.Context, start time.Time) {
		if sleep(ctx, time.Until(start.Add(b.o.duration/3))) == nil {
			faultErr = b.pause()
		}
	}
	defer b.resume()
	c0, err := cpuOf(p.proc)
	if err != nil {
		return fault{}, err
	}
	l, err := runLoad(ctx, loadConfig{
		URL: "http://" + p.addr + path, Host: routeHost, Conns: b.o.conns,
		Duration: b.o.duration, Timeout: b.o.timeout, During: during,
	})
	if err != nil {
		return fault{}, err
	}
	if faultErr != nil {
		return fault{}, faultErr
	}
	c1, err := cpuOf(p.proc)
	if err != nil {
		return fault{}, err
	}
	return fault{proxy: p.name, load: l, cpu: c1 - c0}, nil
}

// outlastProxyMetrics are outlast's own proxy counters after its fault
// pass (retries, budget refusals, ejections), from its /metrics page.
func (b *bench) outlastProxyMetrics(ctx context.Context) []string {
	body, err := benchkit.Get(ctx, "http://"+outlastHTTP+"/metrics", 5*time.Second)
	if err != nil {
		return []string{"outlast /metrics: " + err.Error()}
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "outlast_proxy_") && !strings.Contains(line, "_bucket{") {
			out = append(out, "  "+line)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return append([]string{"outlast's proxy counters after its two wrk passes and its fault pass:"}, out...)
}

// saveProfile saves a CPU profile of outlast over most of a wrk pass.
func (b *bench) saveProfile(ctx context.Context) string {
	secs := max(int(b.o.duration/time.Second)-1, 1)
	body, err := benchkit.Get(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", outlastPprof, secs), b.o.duration+10*time.Second)
	if err == nil {
		err = os.WriteFile(b.o.profile, body, 0o644)
	}
	if err != nil {
		return "outlast CPU profile failed: " + err.Error()
	}
	return fmt.Sprintf("outlast CPU profile (first wrk pass, %ds): %s; go tool pprof -top %s", secs, b.o.profile, b.o.profile)
}

func cpuOf(p *benchkit.Proc) (time.Duration, error) {
	user, sys, err := benchkit.ProcCPU(p.Pid())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.Name, err)
	}
	return user + sys, nil
}

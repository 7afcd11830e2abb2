//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig is one pass of the Go load generator.
type loadConfig struct {
	URL      string        // what every request gets, http://ADDR:PORT/PATH
	Host     string        // the Host header (the proxy's route)
	Conns    int           // keep-alive connections, one worker each
	Duration time.Duration // requests start during this long
	Timeout  time.Duration // a request not answered within it is an error
	// During, when set, runs beside the pass from its start; the fault
	// pass uses it to stop a backend at one third of the pass.
	// Its ctx ends with the pass, and the pass waits for it to return.
	During func(ctx context.Context, start time.Time)
}

// loadResult is what a pass saw. Every request counts once: answered
// 2xx (OK), answered another status, timed out, or failed otherwise.
type loadResult struct {
	Requests  int64
	OK        int64
	Statuses  map[int]int64 // the non-2xx answers by status
	Timeouts  int64         // no answer within the client timeout
	Transport int64         // connection refused, reset, closed early
	Elapsed   time.Duration // from the first request to the last answer
	Latency   histogram     // of every request, errors included
	// ErrorsAt counts errors by the second (from the start) their request began.
	ErrorsAt []int64
}

// Errors is every request that did not get a 2xx.
func (r loadResult) Errors() int64 { return r.Requests - r.OK }

// RPS is the requests answered 2xx per second of the pass.
func (r loadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// maxConns bounds --connections: each is a goroutine, a socket and a
// histogram of its own.
const maxConns = 4096

// runLoad sends GETs from cfg.Conns workers, each over its own keep-alive
// connection, back to back for cfg.Duration, and waits for the last
// answers (at most cfg.Timeout more).
func runLoad(ctx context.Context, cfg loadConfig) (loadResult, error) {
	if cfg.Conns < 1 || cfg.Conns > maxConns {
		return loadResult{}, fmt.Errorf("load: %d connections is outside 1..%d", cfg.Conns, maxConns)
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
		MaxIdleConnsPerHost: cfg.Conns,
		MaxConnsPerHost:     cfg.Conns,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}
	seconds := int((cfg.Duration+cfg.Timeout)/time.Second) + 2
	errorsAt := make([]atomic.Int64, seconds)
	workers := make([]worker, cfg.Conns)
	start := time.Now()
	end := start.Add(cfg.Duration)
	passCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	duringDone := make(chan struct{})
	go func() {
		defer close(duringDone)
		if cfg.During != nil {
			cfg.During(passCtx, start)
		}
	}()
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.statuses = map[int]int64{}
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				began := time.Now()
				if !w.one(client, cfg) {
					errorsAt[min(int(began.Sub(start)/time.Second), seconds-1)].Add(1)
				}
				w.latency.add(time.Since(began))
			}
		})
	}
	wg.Wait()
	cancel()
	<-duringDone // During has undone what it did before the pass ends
	res := loadResult{Elapsed: time.Since(start), Statuses: map[int]int64{}, ErrorsAt: make([]int64, seconds)}
	for i := range workers {
		res.add(&workers[i])
	}
	for i := range errorsAt {
		res.ErrorsAt[i] = errorsAt[i].Load()
	}
	return res, ctx.Err()
}

// worker is one connection's loop and its own counts, merged at the end.
type worker struct {
	requests, ok, timeouts, transport int64
	statuses                          map[int]int64
	latency                           histogram
}

// one sends one request and reports whether it got a 2xx.
func (w *worker) one(client *http.Client, cfg loadConfig) bool {
	w.requests++
	req, err := http.NewRequest(http.MethodGet, cfg.URL, nil)
	if err != nil {
		w.transport++
		return false
	}
	req.Host = cfg.Host
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			w.timeouts++
		} else {
			w.transport++
		}
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		w.transport++
		return false
	case resp.StatusCode/100 != 2:
		w.statuses[resp.StatusCode]++
		return false
	}
	w.ok++
	return true
}

func (r *loadResult) add(w *worker) {
	r.Requests += w.requests
	r.OK += w.ok
	r.Timeouts += w.timeouts
	r.Transport += w.transport
	for code, n := range w.statuses {
		r.Statuses[code] += n
	}
	r.Latency.merge(&w.latency)
}

// histogram counts latencies in buckets 1% wide (log scale) from 1 µs to
// about a minute: quantiles within 1%, in a fixed 15 KB per worker
// whatever the pass's length.
type histogram struct {
	counts [histBuckets]int64
	total  int64
}

const (
	histGrowth  = 1.01
	histBuckets = 1800 // 1.01^1800 µs ≈ 60 s
)

var logGrowth = math.Log(histGrowth)

func (h *histogram) add(d time.Duration) {
	us := float64(d) / float64(time.Microsecond)
	i := 0
	if us > 1 {
		i = min(int(math.Log(us)/logGrowth)+1, histBuckets-1)
	}
	h.counts[i]++
	h.total++
}

func (h *histogram) merge(o *histogram) {
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.total += o.total
}

// quantile is the upper bound of the bucket holding the q-quantile (0 when
// empty).
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	var seen int64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return time.Duration(math.Pow(histGrowth, float64(i)) * float64(time.Microsecond))
		}
	}
	return time.Duration(math.Pow(histGrowth, histBuckets-1) * float64(time.Microsecond))
}

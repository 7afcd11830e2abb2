//go:build linux

// Command probes measures one outlast node probing thousands of HTTP
// endpoints (issue 7, parts 3 and 6): by default 10,000 endpoints on
// loopback, each probed every second, for --duration seconds.
//
// It builds the real binary with go build, starts a separate process of this
// program (--serve) that listens on every probed (address, port) — 100
// addresses 127.0.3.1-100 × 100 ports, one listener each, so every probe is
// a connection of its own to a target of its own — checks the generated
// configuration with outlast config check, and starts outlast serve. After a
// warm-up in which every endpoint has been probed and the start-up rush of
// probes in flight has passed, it measures over the window: the CPU and
// peak RSS of the outlast process (from /proc), probe start lateness p50/p99
// (the difference of two scrapes of the histogram
// outlast_probe_start_lateness_seconds), peak goroutines, probes per second
// and every probe outcome (all must be ok, else the figures are void). Then
// it measures what one scrape of /metrics costs, since every endpoint has
// its own series. With --profile DIR it also takes a CPU profile over the
// window and a heap profile at the end from outlast serve --pprof, and
// prints their top functions. It prints a table and one summary line of
// key=value pairs.
//
//	go run ./bench/probes --duration 60
//
// Its benchmarks measure one probe's CPU on the prober's side alone, against
// the same server in a separate process:
//
//	go test -run '^$' -bench . -benchtime 20000x ./bench/probes
package main

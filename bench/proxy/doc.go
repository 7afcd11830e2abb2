//go:build linux

// Command proxy measures outlast's HTTP failover proxy beside HAProxy
// (issue 16), both forwarding to the same two sample backends on
// loopback: keep-alive requests per second, p50 and p99 latency and CPU
// per request under wrk, then the errors each lets clients see when one
// backend is SIGSTOPped in the middle of a pass, counted exactly by a Go
// load generator. It ends with one key=value line.
//
//	bench/proxy/run [--duration SECONDS]   # installs haproxy and wrk when missing
//	go run ./bench/proxy [--duration SECONDS] [--connections N] [--timeout D] [--keep]
//
// See bench/proxy/README.md for what is measured and why the two proxies
// are configured as they are.
package main

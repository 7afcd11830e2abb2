//go:build linux

package main

import (
	"fmt"
	"time"
)

// The addresses: every process on its own loopback address, so nothing
// here collides with the other benches (bench/dns uses 127.0.0.1x-2x,
// bench/failover 127.0.0.3x).
const (
	backend1IP   = "127.0.0.41"
	backend2IP   = "127.0.0.42"
	backendPort  = 8081
	backend1     = backend1IP + ":8081"
	backend2     = backend2IP + ":8081"
	outlastProxy = "127.0.0.43:8080"
	outlastDNS   = "127.0.0.43:5343"
	outlastHTTP  = "127.0.0.43:8093"
	outlastPprof = "127.0.0.43:6063" // with --profile
	haproxyAddr  = "127.0.0.44:8080"
	// haproxyRetryOnAddr is the second HAProxy, the one that also
	// retries timeouts and statuses (fault pass only).
	haproxyRetryOnAddr = "127.0.0.45:8080"
	routeHost          = "www.example.test"
	path               = "/" // the sample backend's 200 "ok"
)

// The settings both proxies share, so that they are compared doing the
// same thing.
const (
	perTry        = 3 * time.Second // outlast per_try_timeout; HAProxy timeout connect and server
	checkInterval = time.Second     // outlast check interval; HAProxy check inter
	checkTimeout  = time.Second     // outlast check timeout; HAProxy timeout check
	checkFall     = 3               // outlast's default fall; HAProxy fall
	checkRise     = 2               // outlast's default rise; HAProxy rise
	retries       = 1
)

// outlastConfig is a single node serving www.example.test (policy all,
// both backends, in two failure domains) and proxying it. The DNS and API
// listeners are required by serve; the bench does not load them.
func outlastConfig() string {
	return fmt.Sprintf(`node:
  name: bench
  location: local/lab
dns:
  listen: %[1]s
http:
  listen: %[2]s
zones:
  - apex: example.test
    soa:
      rname: hostmaster.example.test
      minimum: 5s
    ns:
      - name: ns1.example.test
        addresses: [127.0.0.1]
services:
  - name: %[3]s
    type: A
    ttl: 5s
    policy: all
    check:
      type: http
      port: %[4]d
      interval: %[5]s
      timeout: %[6]s
      fall: %[7]d
      rise: %[8]d
      http:
        path: /healthz
    endpoints:
      - name: b1
        location: aws/us-east-1
        addresses: [%[9]s]
      - name: b2
        location: gcp/us-central1
        addresses: [%[10]s]
proxy:
  listen: %[11]s
  routes:
    - host: %[3]s
      service: %[3]s
      port: %[4]d
  retries: %[12]d
  per_try_timeout: %[13]s
  retry_on: [502, 503, 504]
  access_log: false
`, outlastDNS, outlastHTTP, routeHost, backendPort, checkInterval, checkTimeout, checkFall, checkRise,
		backend1IP, backend2IP, outlastProxy, retries, perTry)
}

// haproxyConfig forwards to the same two backends as outlast at addr,
// retrying once on the other server (`retries`, `option redispatch`: the
// configuration issue 16 names). HAProxy's default retry-on is conn-failure
// alone, so a backend that accepts and never answers (SIGSTOP) costs every
// request sent to it a 504. With retryOn it also retries what outlast
// retries: empty responses, a response timeout (outlast's per-try timeout)
// and 502/503/504 — the most HAProxy can do, run beside the other in the
// fault pass. Threads: HAProxy's default (one per CPU), as outlast uses
// every CPU (GOMAXPROCS).
func haproxyConfig(addr string, retryOn bool) string {
	retryOnLine := ""
	if retryOn {
		retryOnLine = "    retry-on conn-failure empty-response response-timeout 502 503 504\n"
	}
	return fmt.Sprintf(`global
    maxconn 4096
    log stderr format raw local0 err

defaults
    mode http
    log global
    option dontlognull
    timeout connect %[1]dms
    timeout server %[1]dms
    timeout client 30s
    timeout http-request 10s
    timeout http-keep-alive 30s
    timeout check %[2]dms
    retries %[3]d
    option redispatch
%[10]s    http-reuse safe

frontend www
    bind %[4]s
    default_backend www

backend www
    balance roundrobin
    option httpchk GET /healthz
    default-server check inter %[5]dms fall %[6]d rise %[7]d
    server b1 %[8]s
    server b2 %[9]s
`, perTry.Milliseconds(), checkTimeout.Milliseconds(), retries, addr,
		checkInterval.Milliseconds(), checkFall, checkRise, backend1, backend2, retryOnLine)
}

//go:build linux

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadCountsEveryError loads a real server on loopback that answers
// every 10th request 503 and lets a few hang past the client timeout: the
// generator must count each kind exactly, and the successes.
func TestLoadCountsEveryError(t *testing.T) {
	var n, hung atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "www.example.test" {
			http.Error(w, "wrong host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		i := n.Add(1)
		switch {
		case i%10 == 0:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case i%25 == 1 && hung.Add(1) <= 3:
			select { // past the client's timeout
			case <-release:
			case <-r.Context().Done():
			}
		default:
			w.Write([]byte("ok\n"))
		}
	}))
	defer srv.Close()
	defer close(release)
	res, err := runLoad(context.Background(), loadConfig{
		URL: srv.URL + "/", Host: "www.example.test", Conns: 4,
		Duration: 500 * time.Millisecond, Timeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != n.Load() {
		t.Errorf("counted %d requests, the server saw %d", res.Requests, n.Load())
	}
	if got, want := res.Statuses[http.StatusServiceUnavailable], n.Load()/10; got != want {
		t.Errorf("counted %d 503s (%v), the server sent %d", got, res.Statuses, want)
	}
	if len(res.Statuses) != 1 {
		t.Errorf("statuses %v: want only 503", res.Statuses)
	}
	if res.Timeouts != 3 || res.Transport != 0 {
		t.Errorf("timeouts %d, transport errors %d; want 3 and 0", res.Timeouts, res.Transport)
	}
	if res.OK+res.Errors() != res.Requests || res.OK != res.Requests-n.Load()/10-3 {
		t.Errorf("ok %d, errors %d of %d requests", res.OK, res.Errors(), res.Requests)
	}
	var byS int64
	for _, e := range res.ErrorsAt {
		byS += e
	}
	if byS != res.Errors() {
		t.Errorf("errors by second add up to %d, not %d", byS, res.Errors())
	}
	if p99 := res.Latency.quantile(0.99); p99 <= 0 || res.Latency.quantile(1) < 200*time.Millisecond {
		t.Errorf("p99 %v, max %v: want the hung requests' 200ms at the top", p99, res.Latency.quantile(1))
	}
}

func TestHistogramQuantileWithinOnePercent(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.01 {
			t.Errorf("q%v = %v, want %v to 1%% above", c.q, got, c.want)
		}
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("an empty histogram's median is not 0")
	}
}

const wrkSample = `Running 5s test @ http://127.0.0.44:8080/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.53ms    2.10ms  40.11ms   91.01%
    Req/Sec    12.01k     1.20k   14.50k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.40ms
     90%    3.10ms
     99%   10.25ms
  119523 requests in 5.01s, 14.25MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 17
Requests/sec:  23857.28
Transfer/sec:      2.84MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkSample)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{RPS: 23857.28, Requests: 119523, P50: 812 * time.Microsecond, P99: 10250 * time.Microsecond, Non2xx: 17, SocketErr: 7}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
	if _, err := parseWrk("Running 5s test\nunable to connect to 127.0.0.44:8080 Connection refused\n"); err == nil {
		t.Error("a report without figures parsed")
	}
}

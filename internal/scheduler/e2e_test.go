package scheduler

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/probe"
)

func httpJob(t *testing.T, name, addr, path string, interval time.Duration) Job {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return Job{
		Endpoint: name,
		Target:   probe.Target{Endpoint: name, Addr: ap.Addr(), Port: int(ap.Port())},
		Check: config.Check{
			Type: config.CheckHTTP, Port: int(ap.Port()), Interval: interval, Timeout: interval,
			HTTP: config.HTTPCheck{Method: "GET", Path: path, ExpectStatus: config.StatusRange{Min: 200, Max: 399}},
		},
	}
}

// Real clock, real probes, real server: observations flow end to end.
func TestEndToEndRealProbes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	const iv = 50 * time.Millisecond
	addr := srv.Listener.Addr().String()
	jobs := []Job{httpJob(t, "up", addr, "/ok", iv), httpJob(t, "503", addr, "/fail", iv), httpJob(t, "dead", closed, "/", iv)}
	want := map[string]model.Reason{"up": model.ReasonOK, "503": model.ReasonStatus, "dead": model.ReasonRefused}

	const perEndpoint = 3
	var mu sync.Mutex
	seen := map[string][]model.Observation{}
	enough, signalled := make(chan struct{}), false
	emit := func(o model.Observation) {
		mu.Lock()
		defer mu.Unlock()
		seen[o.Endpoint] = append(seen[o.Endpoint], o)
		if len(seen["up"]) >= perEndpoint && len(seen["503"]) >= perEndpoint && len(seen["dead"]) >= perEndpoint && !signalled {
			close(enough)
			signalled = true
		}
	}
	stop := running(t, New(Options{Clock: clock.Real{}, Vantage: "local", Emit: emit}, jobs))
	waitFor := 10 * time.Second
	select {
	case <-enough:
	case <-time.After(waitFor):
	}
	stop()

	mu.Lock()
	defer mu.Unlock()
	for name, reason := range want {
		obs := seen[name]
		if len(obs) < perEndpoint {
			t.Errorf("endpoint %s: %d observations within %s, want at least %d", name, len(obs), waitFor, perEndpoint)
		}
		for _, o := range obs {
			if o.Vantage != "local" || o.Result.Reason != reason || o.At.IsZero() {
				t.Errorf("endpoint %s: observation %+v, want vantage local, reason %s, a time", name, o, reason)
			}
		}
	}
}

// With a probe three times slower than the interval, one job's probes
// never overlap: each waits for the previous one. It runs in a synctest
// bubble, so the 100 ms are exact and every slot that could overlap comes.
func TestProbesOfOneJobNeverOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const iv = 5 * time.Millisecond
		var mu sync.Mutex
		inFlight, probes := map[string]int{}, map[string]int{}
		overlaps := 0
		slowProbe := func(ctx context.Context, j Job) model.Result {
			mu.Lock()
			inFlight[j.Endpoint]++
			if inFlight[j.Endpoint] > 1 {
				overlaps++
			}
			probes[j.Endpoint]++
			mu.Unlock()
			select {
			case <-time.After(3 * iv):
			case <-ctx.Done():
			}
			mu.Lock()
			inFlight[j.Endpoint]--
			mu.Unlock()
			return model.Result{Up: true, Reason: model.ReasonOK}
		}
		stop := running(t, New(Options{Probe: slowProbe}, []Job{job("a", iv), job("b", iv)}))
		time.Sleep(100 * time.Millisecond)
		stop()
		mu.Lock()
		defer mu.Unlock()
		if overlaps != 0 {
			t.Errorf("%d probes started while the same job's previous probe ran, want 0", overlaps)
		}
		// 100 ms of 15 ms probes: about six each. Fewer than four means
		// the slots that could have overlapped never came.
		for _, name := range []string{"a", "b"} {
			if probes[name] < 4 {
				t.Errorf("job %s ran %d probes in 100 ms of 15 ms probes every 5 ms, want at least 4", name, probes[name])
			}
		}
	})
}

// A hostname job is probed at the addresses its Addrs function gives at
// the time of each probe: when the resolver moves the target from a dead
// address to a live one, the next probes pass, sent with the target as Host.
func TestHostnameJobProbesCurrentAddrs(t *testing.T) {
	hosts := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hosts <- r.Host:
		default:
		}
	}))
	defer srv.Close()
	live := netip.MustParseAddrPort(srv.Listener.Addr().String())
	var mu sync.Mutex
	current := netip.MustParseAddr("127.0.0.254") // the server listens on 127.0.0.1 only
	job := httpJob(t, "alb", live.String(), "/", 50*time.Millisecond)
	job.Target = probe.Target{Endpoint: "alb", Host: "alb.example.test", Port: int(live.Port())}
	job.Addrs = func() []netip.Addr {
		mu.Lock()
		defer mu.Unlock()
		return []netip.Addr{current}
	}
	results := make(chan model.Result, 100)
	emit := func(o model.Observation) {
		select {
		case results <- o.Result:
		default:
		}
	}
	stop := running(t, New(Options{Clock: clock.Real{}, Vantage: "local", Emit: emit}, []Job{job}))
	defer stop()
	if r := <-results; r.Up {
		t.Fatalf("probe of the unused address passed: %+v", r)
	}
	mu.Lock()
	current = live.Addr()
	mu.Unlock()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-results:
			if !r.Up {
				continue // probes started before the move
			}
			if h := <-hosts; h != "alb.example.test:"+strconv.Itoa(int(live.Port())) {
				t.Errorf("Host header %q, want the target with the port", h)
			}
			return
		case <-deadline:
			t.Fatal("no passing probe within 10s after the target's address moved to a live server")
		}
	}
}

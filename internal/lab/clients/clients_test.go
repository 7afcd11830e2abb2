package clients

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run runs the devices for d, calling midway, if set, a third of the way
// through; it returns what they recorded and when midway was called, from
// the start.
func run(t *testing.T, opts Options, d time.Duration, midway func()) (*Recorder, time.Duration) {
	t.Helper()
	start := time.Now()
	rec := NewRecorder(start)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts, rec) }()
	var midwayAt time.Duration
	if midway != nil {
		time.Sleep(d / 3)
		midwayAt = time.Since(start)
		midway()
		time.Sleep(d - d/3)
	} else {
		time.Sleep(d)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of its context ending")
	}
	return rec, midwayAt
}

func TestDevicesMoveAfterTTL(t *testing.T) {
	ips, port := backends(t, named("a"), named("b"))
	ns := startNameserver(t, ips[0])
	rec, switchedAt := run(t, Options{Devices: 20, Nameservers: []string{ns.addr}, Name: service, Port: port, Seed: 1},
		6*time.Second, func() { ns.set(ips[1]) })
	seconds := rec.Seconds()
	moved := 0
	for _, s := range seconds[:len(seconds)-1] { // the last second is cut short
		end := time.Duration(s.T+1) * time.Second
		switch {
		case s.Successes != s.Requests || s.Requests == 0:
			t.Errorf("second %d: want every request to succeed, got %d of %d", s.T, s.Successes, s.Requests)
		case end <= switchedAt && !maps.Equal(s.ServedBy, map[string]int{"a": s.Requests}):
			t.Errorf("second %d, before the switch at %v: want all served by a, got %v", s.T, switchedAt, s.ServedBy)
		case time.Duration(s.T)*time.Second >= switchedAt+1500*time.Millisecond: // TTL 1 s, and slack
			moved++
			if !maps.Equal(s.ServedBy, map[string]int{"b": s.Requests}) {
				t.Errorf("second %d, after the switch at %v and the TTL: want all served by b, got %v", s.T, switchedAt, s.ServedBy)
			}
		}
	}
	if moved == 0 {
		t.Errorf("the run ended before a whole second after the switch at %v and the TTL: %+v", switchedAt, seconds)
	}
}

// allSucceeded fails the test unless the devices made requests and every one
// succeeded.
func allSucceeded(t *testing.T, rec *Recorder) {
	t.Helper()
	tot := rec.Totals()
	if tot.Requests == 0 || tot.Successes != tot.Requests {
		t.Errorf("want every request to succeed, got %d of %d (failures %v)", tot.Successes, tot.Requests, tot.Failures)
	}
}

func TestSilentNameserverIsSkipped(t *testing.T) {
	t.Parallel()
	ips, port := backends(t, named("a"))
	silent, swallowed := silentNameserver(t)
	ns := startNameserver(t, ips[0])
	rec, _ := run(t, Options{Devices: 10, Nameservers: []string{silent, ns.addr}, Name: service, Port: port,
		QueryTimeout: 200 * time.Millisecond}, 2500*time.Millisecond, nil)
	allSucceeded(t, rec)
	if swallowed.Load() == 0 || ns.queries.Load() == 0 {
		t.Errorf("want queries to both nameservers, got %d to the silent one and %d to the live one",
			swallowed.Load(), ns.queries.Load())
	}
}

func TestUnreachableNameserverIsNotAsked(t *testing.T) {
	t.Parallel()
	ips, port := backends(t, named("a"))
	cut, live := startNameserver(t, ips[0]), startNameserver(t, ips[0])
	var asked atomic.Int64
	reachable := func(ns string) bool { asked.Add(1); return ns != cut.addr }
	rec, _ := run(t, Options{Devices: 10, Nameservers: []string{cut.addr, live.addr}, Name: service, Port: port,
		QueryTimeout: 200 * time.Millisecond, Reachable: reachable}, 2500*time.Millisecond, nil)
	allSucceeded(t, rec)
	if cut.queries.Load() != 0 || live.queries.Load() == 0 || asked.Load() == 0 {
		t.Errorf("want queries only to the live nameserver, got %d to the cut one and %d to the live one (Reachable asked %d times)",
			cut.queries.Load(), live.queries.Load(), asked.Load())
	}
}

// Devices given a Source ask and call from it: the lab's nameservers sort
// them into a client area by that address.
func TestDevicesUseTheirSource(t *testing.T) {
	t.Parallel()
	const source = "127.0.0.77"
	var mu sync.Mutex
	callers := map[string]int{}
	ips, port := backends(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		callers[host]++
		mu.Unlock()
		named("a").ServeHTTP(w, r)
	}))
	ns := startNameserver(t, ips[0])
	rec, _ := run(t, Options{Devices: 5, Nameservers: []string{ns.addr}, Name: service, Port: port,
		Source: netip.MustParseAddr(source)}, 2500*time.Millisecond, nil)
	allSucceeded(t, rec)
	ns.mu.Lock()
	senders := maps.Clone(ns.senders)
	ns.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if len(senders) != 1 || senders[source] == 0 || len(callers) != 1 || callers[source] == 0 {
		t.Errorf("want every query and request from %s, got queries from %v and requests from %v", source, senders, callers)
	}
}

func TestFailureClasses(t *testing.T) {
	t.Parallel()
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	unavailable := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Outlast-Backend", "a")
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	})
	tests := []struct {
		name  string
		setup func(t *testing.T) Options // nameservers, port
		want  Class
	}{
		{"every nameserver cut", func(t *testing.T) Options {
			ns := startNameserver(t, "127.0.0.1")
			return Options{Nameservers: []string{ns.addr}, Port: 1, Reachable: func(string) bool { return false }}
		}, DNS},
		{"no address", func(t *testing.T) Options {
			return Options{Nameservers: []string{startNameserver(t).addr}, Port: 1}
		}, DNS},
		{"nothing listening", func(t *testing.T) Options {
			_, port := backends(t, named("a"))
			return Options{Nameservers: []string{startNameserver(t, unusedAddr(t, port)).addr}, Port: port}
		}, Refused},
		{"503", func(t *testing.T) Options {
			ips, port := backends(t, unavailable)
			return Options{Nameservers: []string{startNameserver(t, ips[0]).addr}, Port: port}
		}, Status},
		{"hangs", func(t *testing.T) Options {
			ips, port := backends(t, hang)
			return Options{Nameservers: []string{startNameserver(t, ips[0]).addr}, Port: port}
		}, Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.setup(t)
			opts.Devices, opts.Name = 3, service
			opts.QueryTimeout, opts.RequestTimeout = 100*time.Millisecond, 300*time.Millisecond
			rec, _ := run(t, opts, 1500*time.Millisecond, nil)
			tot := rec.Totals()
			if tot.Requests == 0 || !maps.Equal(tot.Failures, map[Class]int{tt.want: tot.Requests}) {
				t.Errorf("want all %d requests to fail with %s, got %v", tot.Requests, tt.want, tot.Failures)
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"no nameservers": {Name: service, Port: 80},
		"via, no name":   {Via: []string{"127.0.0.1:80"}},
		"no name":        {Nameservers: []string{"127.0.0.1:53"}, Port: 80},
		"no port":        {Nameservers: []string{"127.0.0.1:53"}, Name: service},
		"negative rate":  {Nameservers: []string{"127.0.0.1:53"}, Name: service, Port: 80, Rate: -1},
	} {
		if err := Run(context.Background(), opts, NewRecorder(time.Now())); err == nil {
			t.Errorf("%s: want an error, got none", name)
		}
	}
}

// Devices given Via send every request to their proxy, Host the service's
// name, and resolve nothing: device i goes to Via[i % n].
func TestDevicesGoViaTheirProxy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hosts := map[string]int{}
	record := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hosts[r.Host]++
			mu.Unlock()
			named(name).ServeHTTP(w, r)
		})
	}
	ips, port := backends(t, record("p1"), record("p2"))
	ns := startNameserver(t, "127.0.0.1")
	via := []string{net.JoinHostPort(ips[0], strconv.Itoa(port)), net.JoinHostPort(ips[1], strconv.Itoa(port))}
	rec, _ := run(t, Options{Devices: 4, Via: via, Nameservers: []string{ns.addr}, Name: service}, 2500*time.Millisecond, nil)
	allSucceeded(t, rec)
	tot := rec.Totals()
	if tot.ServedBy["p1"] == 0 || tot.ServedBy["p2"] == 0 {
		t.Errorf("want the devices spread over both proxies, got %v", tot.ServedBy)
	}
	if q := ns.queries.Load(); q != 0 {
		t.Errorf("want no lookup from devices going via a proxy, got %d queries", q)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) != 1 || hosts["api.example.test"] == 0 {
		t.Errorf("want every request with Host api.example.test, got %v", hosts)
	}
	for _, s := range rec.Seconds() {
		if s.Successes > 0 && (s.MaxLatencyS <= 0 || s.MaxLatencyS > 1) {
			t.Errorf("second %d: want the slowest request's latency in (0, 1] s, got %v", s.T, s.MaxLatencyS)
		}
	}
}

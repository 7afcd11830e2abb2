package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const service = "www.example.test."

// backend is one endpoint: an HTTP server (or a hung listener) on its own
// loopback address, counting what reaches it.
type backend struct {
	name, domain string
	addr         netip.Addr
	hits         atomic.Int64
	inFlight     atomic.Int64
	maxInFlight  atomic.Int64
}

// serve runs h on b's address and port until the test ends.
func (b *backend) serve(t testing.TB, port int, h http.HandlerFunc) {
	t.Helper()
	ln := listenOn(t, b.addr, port)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		n := b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		for m := b.maxInFlight.Load(); n > m && !b.maxInFlight.CompareAndSwap(m, n); m = b.maxInFlight.Load() {
		}
		h(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// hang accepts connections on b's address and never answers, as a region
// whose servers are stuck: the connection succeeds, nothing comes back.
func (b *backend) hang(t testing.TB, port int) {
	t.Helper()
	ln := listenOn(t, b.addr, port)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.hits.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
}

func listenOn(t testing.TB, addr netip.Addr, port int) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, uint16(port)).String())
	if err != nil {
		t.Fatalf("listening on %s port %d: %v", addr, port, err)
	}
	return ln
}

// freePort finds a port free on every one of addrs.
func freePort(t testing.TB, addrs ...netip.Addr) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(addrs[0], 0).String())
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		free := true
		for _, a := range addrs[1:] {
			l, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(port)).String())
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port
		}
	}
	t.Fatal("no port free on every backend address")
	return 0
}

// backends makes endpoints named e1, e2, … on 127.0.0.31, .32, …, in the
// failure domains given, and a free port shared by them.
func backends(t testing.TB, domains ...string) ([]*backend, int) {
	var out []*backend
	var addrs []netip.Addr
	for i, d := range domains {
		b := &backend{name: fmt.Sprintf("e%d", i+1), domain: d, addr: netip.AddrFrom4([4]byte{127, 0, 0, byte(31 + i)})}
		out = append(out, b)
		addrs = append(addrs, b.addr)
	}
	return out, freePort(t, addrs...)
}

// target is b as a plan's target of weight 1.
func (b *backend) target() Target {
	return Target{Name: b.name, Domain: b.domain, Weight: 1, Addrs: []netip.Addr{b.addr}}
}

// planOf puts the backends' targets in tiers for service.
func planOf(tiers ...[]*backend) Plan {
	sp := ServicePlan{Areas: map[string][][]Target{"": nil}}
	for _, tier := range tiers {
		var ts []Target
		for _, b := range tier {
			ts = append(ts, b.target())
			sp.Endpoints = append(sp.Endpoints, b.name)
		}
		sp.Areas[""] = append(sp.Areas[""], ts)
	}
	return Plan{service: sp}
}

// start runs a proxy with opts for service on port, updated with plan,
// on a plain listener of its own; it returns the proxy and its address.
func start(t testing.TB, opts Options, port int, plan Plan) (*Proxy, string) {
	t.Helper()
	p, srv := serve(t, opts, port, plan, Listeners{Plain: "127.0.0.1:0"})
	return p, srv.Addrs()[0].String()
}

// serve runs a proxy with opts for service on port, updated with plan,
// on listeners l, until the test ends.
func serve(t testing.TB, opts Options, port int, plan Plan, l Listeners) (*Proxy, *Server) {
	t.Helper()
	p, err := New(opts, []Route{{Host: "www.example.test", Service: service, Port: port}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Update(plan); err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(p, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(discardLogger())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		p.Close()
	})
	return p, srv
}

// client sends requests to the proxy as clients of www.example.test.
type client struct {
	t    *testing.T
	addr string
	http *http.Client
}

func newClient(t *testing.T, addr string) *client {
	c := &client{t: t, addr: addr, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// do sends one request and returns its status and body.
func (c *client) do(method, path, body string, header ...string) (int, string, error) {
	req, err := http.NewRequest(method, "http://"+c.addr+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = "www.example.test"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// answer is a handler answering code with the backend's name.
func answer(b *backend, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(code)
		io.WriteString(w, b.name)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

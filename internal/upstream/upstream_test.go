package upstream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is an http.Server on loopback that counts the connections it
// accepted.
func server(t *testing.T, h http.HandlerFunc) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), conns
}

// raw is a TCP server that runs serve on every connection.
func raw(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func pool(t *testing.T, o Options) *Pool {
	p := New(o)
	t.Cleanup(p.CloseIdleConnections)
	return p
}

// get sends method to addr and returns the status and body read to the end.
func get(t *testing.T, p *Pool, ctx context.Context, method, addr string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestReuse: requests one after the other share one connection, whatever
// the body's framing; HEAD and 204 too.
func TestReuse(t *testing.T) {
	addr, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("kind") {
		case "chunked":
			io.WriteString(w, "part one ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part two")
		case "empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			io.WriteString(w, "ok")
		}
	})
	p := pool(t, Options{})
	for i, c := range []struct{ method, kind, want string }{
		{"GET", "", "ok"}, {"GET", "chunked", "part one part two"}, {"HEAD", "", ""}, {"GET", "empty", ""}, {"GET", "", "ok"},
	} {
		req, _ := http.NewRequest(c.method, "http://"+addr+"/?kind="+c.kind, nil)
		resp, err := p.RoundTrip(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != c.want {
			t.Errorf("request %d (%s %s): body %q, want %q", i, c.method, c.kind, b, c.want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for five requests one after the other, want 1", n)
	}
}

// TestNotReused: a body closed before its end, or a response that closes
// the connection, is not followed by reuse.
func TestNotReused(t *testing.T) {
	addr, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("close") != "" {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, strings.Repeat("x", 64<<10))
	})
	p := pool(t, Options{})
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	resp, err := p.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // unread
	if code, _, err := get(t, p, context.Background(), "GET", addr+"/?close=1"); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	if code, _, err := get(t, p, context.Background(), "GET", addr); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3: neither an unread body's nor a closing response's connection is reused", n)
	}
}

// TestStaleConnectionResent: an endpoint that closes each connection
// after one answer, without saying so; the request that finds the pooled
// connection closed is sent again on a new one, and succeeds.
func TestStaleConnectionResent(t *testing.T) {
	var accepted atomic.Int64
	addr := raw(t, func(c net.Conn) {
		accepted.Add(1)
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	p := pool(t, Options{})
	for i := range 3 {
		if code, body, err := get(t, p, context.Background(), "GET", addr); err != nil || code != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q %v; want 200 ok, sent again after the stale connection", i, code, body, err)
		}
		time.Sleep(20 * time.Millisecond) // let the close arrive
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections for 3 requests, want 3", n)
	}
}

// TestTimeoutAndCancel: an endpoint that accepts and never answers costs
// the request the timeout, reported as a timeout; a request whose context
// ends is abandoned at once.
func TestTimeoutAndCancel(t *testing.T) {
	addr := raw(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	p := pool(t, Options{Timeout: 200 * time.Millisecond})
	began := time.Now()
	_, _, err := get(t, p, context.Background(), "GET", addr)
	if !isTimeout(err) || time.Since(began) > 5*time.Second {
		t.Errorf("hung endpoint: %v after %v; want a timeout after about 200ms", err, time.Since(began))
	}
	slow := pool(t, Options{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began = time.Now()
	if _, _, err := get(t, slow, ctx, "GET", addr); !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 5*time.Second {
		t.Errorf("a request whose context ended: %v after %v; want the context's error at once", err, time.Since(began))
	}
}

// TestHeaderBound: an endpoint sending endless headers is cut off at
// MaxHeaderBytes, not read into memory.
func TestHeaderBound(t *testing.T) {
	addr := raw(t, func(c net.Conn) {
		http.ReadRequest(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Filler: " + strings.Repeat("y", 1000) + "\r\n"
		for range 4096 {
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
	})
	p := pool(t, Options{MaxHeaderBytes: 64 << 10})
	if _, _, err := get(t, p, context.Background(), "GET", addr); err == nil || !strings.Contains(err.Error(), "response headers over 65536 bytes") {
		t.Errorf("4 MB of headers: %v; want them refused at 64 KiB", err)
	}
}

// TestInformationalAndUpgrade: 103 Early Hints is skipped for the answer
// after it; 101 hands over the connection, readable and writable.
func TestInformationalAndUpgrade(t *testing.T) {
	addr, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "final")
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(brw, buf); err == nil {
			c.Write(buf)
		}
	})
	p := pool(t, Options{})
	if code, body, err := get(t, p, context.Background(), "GET", addr); err != nil || code != 200 || body != "final" {
		t.Errorf("after 103: %d %q %v; want 200 final", code, body, err)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := p.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("a 101's body is %T, want a read-write connection", resp.Body)
	}
	defer rwc.Close()
	rwc.Write([]byte("ping"))
	got := make([]byte, 4)
	if _, err := io.ReadFull(rwc, got); err != nil || string(got) != "ping" {
		t.Errorf("through the upgraded connection: %q %v, want ping", got, err)
	}
}

// TestMaxIdle: no more than MaxIdle connections wait per endpoint.
func TestMaxIdle(t *testing.T) {
	release := make(chan struct{})
	addr, _ := server(t, func(w http.ResponseWriter, r *http.Request) { <-release; io.WriteString(w, "ok") })
	p := pool(t, Options{MaxIdle: 1})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { get(t, p, context.Background(), "GET", addr) })
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	p.mu.Lock()
	n := len(p.idle[addr])
	p.mu.Unlock()
	if n != 1 {
		t.Errorf("%d idle connections after 3 at once, want MaxIdle 1", n)
	}
}

// TestPlainOnly: an https URL is refused, not sent in the clear.
func TestPlainOnly(t *testing.T) {
	p := pool(t, Options{})
	req, _ := http.NewRequest("GET", "https://127.0.0.1:1/", nil)
	if _, err := p.RoundTrip(req); err == nil {
		t.Error("an https request was sent by the plain-HTTP client")
	}
}

// TestBodyErrorIsTheCallers: a request body that fails to read comes back
// as its own error, which the proxy answers (413 for one over its limit),
// not as the endpoint's failure, and it is not sent again.
func TestBodyErrorIsTheCallers(t *testing.T) {
	addr, conns := server(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	p := pool(t, Options{})
	cut := errors.New("the client's upload was cut off")
	req, _ := http.NewRequest("POST", "http://"+addr+"/", io.MultiReader(strings.NewReader("part"), errReader{cut}))
	if _, err := p.RoundTrip(req); !errors.Is(err, cut) {
		t.Errorf("a body that fails: %v, want its own error", err)
	}
	// The server counts a connection when its accept loop gets to it,
	// which may be after RoundTrip returned: wait for the first, then give
	// a second (had the request been resent) the same time to show.
	for deadline := time.Now().Add(2 * time.Second); conns.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: a failing body is not sent again", n)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestCloseDoesNotWaitForTheRest: closing a body before its end does not
// read what the endpoint is still streaming.
func TestCloseDoesNotWaitForTheRest(t *testing.T) {
	addr, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, strings.Repeat("z", 1024)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	})
	p := pool(t, Options{})
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	resp, err := p.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 100))
	done := make(chan struct{})
	go func() { resp.Body.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("closing a body the endpoint is still streaming waited 5 s for its end")
	}
}

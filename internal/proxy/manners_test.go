package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"outlast/internal/outlier"
	"outlast/internal/tlsca"
)

// seen is one request as an endpoint received it.
type seen struct {
	host   string
	header http.Header
	body   []byte
	err    error // reading the body
}

// recording keeps every request its handlers receive.
type recording struct {
	mu  sync.Mutex
	got []seen
}

// answer is a handler that records the request, then answers code with
// the backend's name.
func (rc *recording) answer(b *backend, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, seen{host: r.Host, header: r.Header.Clone(), body: body, err: err})
		rc.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, b.name)
	}
}

func (rc *recording) all() []seen {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seen(nil), rc.got...)
}

// only returns the one request rc got, failing the test otherwise.
func (rc *recording) only(t *testing.T, who string) seen {
	t.Helper()
	got := rc.all()
	if len(got) != 1 {
		t.Fatalf("%s got %d requests, want exactly 1", who, len(got))
	}
	return got[0]
}

// serveProxy is serve for tests of the listeners themselves.
func serveProxy(t *testing.T, opts Options, port int, plan Plan, l Listeners) *Server {
	t.Helper()
	_, srv := serve(t, opts, port, plan, l)
	return srv
}

// send sends one request for www.example.test to the proxy at addr with
// body, chunked (no Content-Length) when chunked is set, and returns the
// status and the response body.
func send(t *testing.T, c *client, method string, body []byte, chunked bool, header ...string) (int, string) {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // a reader of unknown length
	}
	req, err := http.NewRequest(method, "http://"+c.addr+"/", r)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "www.example.test"
	if chunked {
		req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s with a %d-byte body (chunked %v): %v", method, len(body), chunked, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i*7%26)
	}
	return b
}

// TestForwardedHeaders: the endpoint learns who asked, for which host,
// over what, and through whom; and it gets the client's Host.
func TestForwardedHeaders(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	var rc recording
	bs[0].serve(t, port, rc.answer(bs[0], http.StatusOK))
	_, addr := start(t, Options{}, port, planOf(bs))
	if code, _, err := newClient(t, addr).do("GET", "/", ""); err != nil || code != http.StatusOK {
		t.Fatalf("GET: %d %v, want 200", code, err)
	}
	got := rc.only(t, "the endpoint")
	for _, h := range []struct{ name, want string }{
		{"X-Forwarded-For", "127.0.0.1"},
		{"X-Forwarded-Host", "www.example.test"},
		{"X-Forwarded-Proto", "http"},
		{"Via", "1.1 outlast"},
	} {
		if v := strings.Join(got.header.Values(h.name), ", "); v != h.want {
			t.Errorf("%s: %q, want %q", h.name, v, h.want)
		}
	}
	if got.host != "www.example.test" {
		t.Errorf("Host: %q, want the client's www.example.test (the endpoint serves by name)", got.host)
	}
}

// TestForwardedForAppendsClient: a client behind another proxy arrives
// with an X-Forwarded-For; the proxy appends the address it saw to it
// (as nginx, HAProxy and Envoy do), rather than dropping the chain.
func TestForwardedForAppendsClient(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	var rc recording
	bs[0].serve(t, port, rc.answer(bs[0], http.StatusOK))
	_, addr := start(t, Options{}, port, planOf(bs))
	if code, _, err := newClient(t, addr).do("GET", "/", "", "X-Forwarded-For", "203.0.113.7"); err != nil || code != http.StatusOK {
		t.Fatalf("GET: %d %v, want 200", code, err)
	}
	got := rc.only(t, "the endpoint")
	if v, want := strings.Join(got.header.Values("X-Forwarded-For"), ", "), "203.0.113.7, 127.0.0.1"; v != want {
		t.Errorf("X-Forwarded-For: %q, want %q (the incoming chain, then the client the proxy saw)", v, want)
	}
}

// TestHopByHopHeadersRemoved: headers meant for one connection (RFC 9110
// 7.6.1: Connection and what it lists, Keep-Alive, Proxy-Authorization,
// Proxy-Connection) go no further than the proxy, in either direction;
// end-to-end headers pass.
func TestHopByHopHeadersRemoved(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	var rc recording
	record := rc.answer(bs[0], http.StatusOK)
	bs[0].serve(t, port, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Reply-Hop")
		w.Header().Set("X-Reply-Hop", "for the proxy only")
		w.Header().Set("X-Reply-End", "for the client")
		record(w, r)
	})
	_, addr := start(t, Options{}, port, planOf(bs))
	req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "www.example.test"
	for k, v := range map[string]string{
		"Connection":          "X-Hop-Secret",
		"X-Hop-Secret":        "for the proxy only",
		"Keep-Alive":          "timeout=5",
		"Proxy-Authorization": "Basic Zm9vOmJhcg==",
		"Proxy-Connection":    "keep-alive",
		"X-End-To-End":        "for the endpoint",
	} {
		req.Header.Set(k, v)
	}
	c := newClient(t, addr)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := rc.only(t, "the endpoint")
	for _, h := range []string{"X-Hop-Secret", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection"} {
		if v := got.header.Values(h); len(v) > 0 {
			t.Errorf("the endpoint got hop-by-hop %s: %q", h, v)
		}
	}
	if v := got.header.Get("Connection"); strings.Contains(strings.ToLower(v), "x-hop-secret") {
		t.Errorf("the endpoint got the client's Connection header %q", v)
	}
	if v := got.header.Get("X-End-To-End"); v != "for the endpoint" {
		t.Errorf("X-End-To-End: %q, want it passed on", v)
	}
	if v := resp.Header.Values("X-Reply-Hop"); len(v) > 0 {
		t.Errorf("the client got the endpoint's hop-by-hop X-Reply-Hop: %q", v)
	}
	if v := resp.Header.Get("X-Reply-End"); v != "for the client" {
		t.Errorf("X-Reply-End: %q, want it passed on", v)
	}
}

// TestAttemptHeader: an endpoint sees which try it gets, 1 for the first
// and 2 for a retry, whatever the client claimed.
func TestAttemptHeader(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	var first, second recording
	bs[0].serve(t, port, first.answer(bs[0], http.StatusServiceUnavailable))
	bs[1].serve(t, port, second.answer(bs[1], http.StatusOK))
	_, addr := start(t, Options{Retries: 1, Outlier: outlier.Config{Consecutive: 1000}}, port, planOf(bs[:1], bs[1:]))
	code, body, err := newClient(t, addr).do("GET", "/", "", AttemptHeader, "9")
	if err != nil || code != http.StatusOK || body != "e2" {
		t.Fatalf("GET: %d %q %v, want 200 from e2 after e1's 503", code, body, err)
	}
	if v := first.only(t, "e1").header.Values(AttemptHeader); len(v) != 1 || v[0] != "1" {
		t.Errorf("e1, the first try: %s %q, want \"1\"", AttemptHeader, v)
	}
	if v := second.only(t, "e2").header.Values(AttemptHeader); len(v) != 1 || v[0] != "2" {
		t.Errorf("e2, the retry: %s %q, want \"2\"", AttemptHeader, v)
	}
}

// TestBodyOverMaxBody: a request body over MaxBody is refused with 413,
// whether its length is announced or it comes chunked, and no endpoint
// hears of it.
func TestBodyOverMaxBody(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	bs[0].serve(t, port, answer(bs[0], http.StatusOK))
	_, addr := start(t, Options{MaxBody: 1000}, port, planOf(bs))
	c := newClient(t, addr)
	for _, chunked := range []bool{false, true} {
		if code, body := send(t, c, "POST", payload(2000), chunked); code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2000-byte body over MaxBody 1000 (chunked %v): %d %q, want 413", chunked, code, body)
		}
	}
	if n := bs[0].hits.Load(); n != 0 {
		t.Errorf("the endpoint got %d requests; want none, the bodies were over MaxBody", n)
	}
	if code, body := send(t, c, "POST", payload(1000), true); code != http.StatusOK {
		t.Errorf("a body of exactly MaxBody: %d %q, want 200", code, body)
	}
}

// TestStreamedBodyOverMaxBody: a chunked body too large to buffer for a
// replay streams to the endpoint as it comes; once it passes MaxBody the
// client gets 413 and the endpoint never gets the body whole (its read
// fails), so it cannot act on a truncated request as if it were complete.
func TestStreamedBodyOverMaxBody(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	var rc recording
	bs[0].serve(t, port, rc.answer(bs[0], http.StatusOK))
	_, addr := start(t, Options{MaxBody: 100 << 10, MaxReplayBody: 1 << 10}, port, planOf(bs))
	if code, body := send(t, newClient(t, addr), "POST", payload(300<<10), true); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked 300 KiB body over MaxBody 100 KiB: %d %q, want 413", code, body)
	}
	if bs[0].hits.Load() == 0 {
		return // refused before anything was sent: fine too
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(rc.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := rc.only(t, "the endpoint (within 10 s)")
	if got.err == nil {
		t.Errorf("the endpoint read a complete %d-byte body; want its read to fail, the client's body was over MaxBody", len(got.body))
	}
}

// TestReplayedBodyIntact: a body under MaxReplayBody reaches the retry's
// endpoint byte for byte, announced or chunked.
func TestReplayedBodyIntact(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	var first, second recording
	bs[0].serve(t, port, first.answer(bs[0], http.StatusServiceUnavailable))
	bs[1].serve(t, port, second.answer(bs[1], http.StatusOK))
	_, addr := start(t, Options{Retries: 1, Outlier: outlier.Config{Consecutive: 1000}}, port, planOf(bs[:1], bs[1:]))
	c := newClient(t, addr)
	body := payload(DefaultMaxReplayBody - 1)
	for _, chunked := range []bool{false, true} {
		if code, got := send(t, c, "PUT", body, chunked); code != http.StatusOK || got != "e2" {
			t.Errorf("PUT (chunked %v): %d %q, want 200 from e2", chunked, code, got)
		}
	}
	for name, rc := range map[string]*recording{"e1": &first, "e2": &second} {
		got := rc.all()
		if len(got) != 2 {
			t.Errorf("%s got %d requests, want 2", name, len(got))
		}
		for i, s := range got {
			if s.err != nil || sha256.Sum256(s.body) != sha256.Sum256(body) {
				t.Errorf("%s request %d: a %d-byte body (err %v), want the client's %d bytes intact", name, i, len(s.body), s.err, len(body))
			}
		}
	}
}

// TestLargeBodyNotRetried: a body over MaxReplayBody cannot be sent twice:
// it goes once, intact, and the client gets that try's answer.
func TestLargeBodyNotRetried(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	var first recording
	bs[0].serve(t, port, first.answer(bs[0], http.StatusServiceUnavailable))
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	opts := Options{Retries: 1, MaxReplayBody: 1024, Outlier: outlier.Config{Consecutive: 1000}}
	_, addr := start(t, opts, port, planOf(bs[:1], bs[1:]))
	c := newClient(t, addr)
	body := payload(10 << 10)
	for _, chunked := range []bool{false, true} {
		if code, got := send(t, c, "PUT", body, chunked); code != http.StatusServiceUnavailable || got != "e1" {
			t.Errorf("PUT of 10 KiB over MaxReplayBody 1 KiB (chunked %v): %d %q, want e1's 503 passed on", chunked, code, got)
		}
	}
	if n := bs[1].hits.Load(); n != 0 {
		t.Errorf("e2 got %d requests; want none, the bodies were too large to replay", n)
	}
	for i, s := range first.all() {
		if s.err != nil || !bytes.Equal(s.body, body) {
			t.Errorf("e1 request %d: a %d-byte body (err %v), want the client's %d bytes intact", i, len(s.body), s.err, len(body))
		}
	}
}

// testCerts makes a CA and a server certificate for www.example.test and
// 127.0.0.1, and loads the certificate as a public one (no CA file); it
// returns the loaded certificate and a pool trusting the CA.
func testCerts(t *testing.T) (*tlsca.Reloader, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	if err := tlsca.InitCA(dir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tlsca.IssueNode(dir, "proxy", tlsca.NodeOptions{Hosts: []string{"www.example.test"}}); err != nil {
		t.Fatal(err)
	}
	files := tlsca.NodeFiles(dir, "proxy")
	certs, err := tlsca.LoadServer(files.Cert, files.Key, tlsca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("the test CA did not parse")
	}
	return certs, pool
}

// TestHTTPSListener: the HTTPS listener serves HTTP/2 to a client that
// offers it and HTTP/1.1 to one that does not, and tells the endpoint
// the request came over https.
func TestHTTPSListener(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	var rc recording
	bs[0].serve(t, port, rc.answer(bs[0], http.StatusOK))
	certs, pool := testCerts(t)
	srv := serveProxy(t, Options{}, port, planOf(bs), Listeners{TLS: "127.0.0.1:0", Certs: certs})
	addr := srv.Addrs()[0].String()
	for _, proto := range []int{2, 1} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "www.example.test"}, ForceAttemptHTTP2: true}
		if proto == 1 {
			tr.Protocols = new(http.Protocols)
			tr.Protocols.SetHTTP1(true)
		}
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		req, err := http.NewRequest("GET", "https://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "www.example.test"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("HTTP/%d over TLS: %v", proto, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if resp.ProtoMajor != proto || resp.StatusCode != http.StatusOK || string(body) != "e1" {
			t.Errorf("asking for HTTP/%d: %s %d %q, want HTTP/%d 200 from e1", proto, resp.Proto, resp.StatusCode, body, proto)
		}
	}
	for i, s := range rc.all() {
		if v := s.header.Get("X-Forwarded-Proto"); v != "https" {
			t.Errorf("request %d: X-Forwarded-Proto %q, want https", i, v)
		}
		// The first request came over HTTP/2, whose version Via writes "2".
		if want := []string{"2 outlast", "1.1 outlast"}[min(i, 1)]; s.header.Get("Via") != want {
			t.Errorf("request %d: Via %q, want %q", i, s.header.Get("Via"), want)
		}
		if s.host != "www.example.test" {
			t.Errorf("request %d: Host %q, want www.example.test", i, s.host)
		}
	}
}

// TestGracefulShutdown: a request in flight when Shutdown is called is
// answered in full; afterwards the listener takes no new connection.
func TestGracefulShutdown(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	arrived := make(chan struct{}, 1)
	bs[0].serve(t, port, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(500 * time.Millisecond)
		answer(bs[0], http.StatusOK)(w, r)
	})
	srv := serveProxy(t, Options{}, port, planOf(bs), Listeners{Plain: "127.0.0.1:0"})
	addr := srv.Addrs()[0].String()
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	c := newClient(t, addr)
	go func() {
		code, body, err := c.do("GET", "/", "")
		done <- result{code, body, err}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the endpoint within 10 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v; want the request in flight drained within 10 s", err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.code != http.StatusOK || r.body != "e1" {
			t.Errorf("the request in flight during Shutdown: %d %q %v, want 200 from e1", r.code, r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight got no answer within 10 s of Shutdown")
	}
	if conn, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		conn.Close()
		t.Errorf("a new connection to %s was accepted after Shutdown", addr)
	}
}

// TestEncodingPassesThrough: the proxy asks for no compression the client
// did not ask for, and hands a compressed answer on as it came, rather
// than unpacking it as a Go client would.
func TestEncodingPassesThrough(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	bs[0].serve(t, port, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Asked-Encoding", r.Header.Get("Accept-Encoding"))
		if r.Header.Get("Accept-Encoding") == "gzip" {
			w.Header().Set("Content-Encoding", "gzip")
		}
		io.WriteString(w, "body")
	})
	_, addr := start(t, Options{}, port, planOf(bs))
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	for _, asked := range []string{"", "gzip"} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req.Host = "www.example.test"
		if asked != "" {
			req.Header.Set("Accept-Encoding", asked)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Asked-Encoding"); got != asked || string(body) != "body" ||
			resp.Header.Get("Content-Encoding") != map[string]string{"": "", "gzip": "gzip"}[asked] {
			t.Errorf("client asked %q: the endpoint was asked %q, answered %q with Content-Encoding %q; want the client's ask and the answer as sent",
				asked, got, body, resp.Header.Get("Content-Encoding"))
		}
	}
}

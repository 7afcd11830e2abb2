package probe

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// testMux serves the paths the HTTP tests probe.
func testMux(t *testing.T) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "status: ok") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("probe followed a redirect")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", bodyLimit)+"status: ok")
	})
	return mux
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(testMux(t))
	defer srv.Close()
	tg := targetOf(t, srv.Listener.Addr().String())

	tests := []struct {
		name   string
		path   string
		body   string
		status config.StatusRange
		up     bool
		reason model.Reason
	}{
		{"ok", "/ok", "", config.StatusRange{Min: 200, Max: 399}, true, model.ReasonOK},
		{"body found", "/ok", "status: ok", config.StatusRange{Min: 200, Max: 399}, true, model.ReasonOK},
		{"body missing", "/ok", "healthy", config.StatusRange{Min: 200, Max: 399}, false, model.ReasonBody},
		{"marker past 64 KiB", "/big", "status: ok", config.StatusRange{Min: 200, Max: 399}, false, model.ReasonBody},
		{"503", "/fail", "", config.StatusRange{Min: 200, Max: 399}, false, model.ReasonStatus},
		{"404", "/missing", "", config.StatusRange{Min: 200, Max: 399}, false, model.ReasonStatus},
		{"redirect judged, not followed", "/redirect", "", config.StatusRange{Min: 200, Max: 399}, true, model.ReasonOK},
		{"redirect outside range", "/redirect", "", config.StatusRange{Min: 200, Max: 299}, false, model.ReasonStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := check(config.CheckHTTP)
			c.HTTP.Path, c.HTTP.BodyContains, c.HTTP.ExpectStatus = tt.path, tt.body, tt.status
			res := probeTimed(t, HTTP, tg, c)
			wantResult(t, res, tt.up, tt.reason)
			if res.Latency <= 0 {
				t.Errorf("latency %s, want > 0", res.Latency)
			}
			if !res.CertExpiry.IsZero() {
				t.Errorf("plain HTTP result has a certificate expiry %s", res.CertExpiry)
			}
		})
	}
}

func TestHTTPSendsHostAndMethod(t *testing.T) {
	var mu sync.Mutex
	var host, method string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		host, method = r.Host, r.Method
		mu.Unlock()
	}))
	defer srv.Close()

	c := check(config.CheckHTTP)
	c.HTTP.Host, c.HTTP.Method = "www.example.test", "HEAD"
	wantResult(t, probeTimed(t, HTTP, targetOf(t, srv.Listener.Addr().String()), c), true, model.ReasonOK)
	mu.Lock()
	defer mu.Unlock()
	if host != "www.example.test" || method != "HEAD" {
		t.Errorf("server saw %s with Host %q, want HEAD with Host www.example.test", method, host)
	}
}

// A pooled connection would keep a probe green while new connections fail,
// so each probe must open its own.
func TestHTTPFreshConnectionEachProbe(t *testing.T) {
	var opened atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	tg := targetOf(t, srv.Listener.Addr().String())
	const probes = 3
	for range probes {
		wantResult(t, probeTimed(t, HTTP, tg, check(config.CheckHTTP)), true, model.ReasonOK)
	}
	if got := opened.Load(); got != probes {
		t.Errorf("%d probes opened %d connections, want one each", probes, got)
	}
}

// TestHTTPBuffersCarryNothingOver: probes share pooled read buffers, so
// what one endpoint sent must never answer for the next. The first server's
// body holds the marker well inside the buffer; the second never sends it.
func TestHTTPBuffersCarryNothingOver(t *testing.T) {
	marked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "status: ok "+strings.Repeat("status: ok ", 100))
	}))
	defer marked.Close()
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer silent.Close()
	c := check(config.CheckHTTP)
	c.HTTP.BodyContains = "status: ok"
	for range 5 {
		wantResult(t, probeTimed(t, HTTP, targetOf(t, marked.Listener.Addr().String()), c), true, model.ReasonOK)
		wantResult(t, probeTimed(t, HTTP, targetOf(t, silent.Listener.Addr().String()), c), false, model.ReasonBody)
	}
}

func TestHTTPHangIsTimeout(t *testing.T) {
	c := check(config.CheckHTTP)
	c.Timeout = 300 * time.Millisecond
	res := probeTimed(t, HTTP, hangListener(t), c)
	wantResult(t, res, false, model.ReasonTimeout)
}

// Headers arrive, then the body stalls: the body read must also be bounded.
func TestHTTPStalledBodyIsTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	c := check(config.CheckHTTP)
	c.Timeout = 300 * time.Millisecond
	c.HTTP.BodyContains = "status: ok"
	res := probeTimed(t, HTTP, targetOf(t, srv.Listener.Addr().String()), c)
	wantResult(t, res, false, model.ReasonTimeout)
}

func TestHTTPRefused(t *testing.T) {
	res := probeTimed(t, HTTP, closedPort(t, "tcp"), check(config.CheckHTTP))
	wantResult(t, res, false, model.ReasonRefused)
}

// tlsServer serves /ok over TLS with cert.
func tlsServer(t *testing.T, cert tls.Certificate) Target {
	t.Helper()
	srv := httptest.NewUnstartedServer(testMux(t))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return targetOf(t, srv.Listener.Addr().String())
}

func httpsCheck(mod func(*config.Check)) config.Check {
	c := check(config.CheckHTTPS)
	c.HTTP.Path = "/ok"
	if mod != nil {
		mod(&c)
	}
	return c
}

func TestHTTPS(t *testing.T) {
	now := time.Now()
	valid := validLeaf(t)
	soon := testCA.leaf(t, now.Add(-time.Hour), now.Add(48*time.Hour))
	expired := testCA.leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	selfSigned := (*certAuthority)(nil).leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	insecure := func(c *config.Check) { c.TLS.InsecureSkipVerify = true }

	tests := []struct {
		name    string
		cert    tls.Certificate
		c       config.Check
		up      bool
		reason  model.Reason
		warning string
	}{
		{"valid, verified by IP", valid, httpsCheck(nil), true, model.ReasonOK, ""},
		{"valid, verified by host", valid, httpsCheck(func(c *config.Check) { c.HTTP.Host = "probe.test" }), true, model.ReasonOK, ""},
		{"valid, verified by server name", valid, httpsCheck(func(c *config.Check) { c.TLS.ServerName = "probe.test" }), true, model.ReasonOK, ""},
		{"wrong server name", valid, httpsCheck(func(c *config.Check) { c.TLS.ServerName = "other.test" }), false, model.ReasonTLS, ""},
		{"expiring soon warns", soon, httpsCheck(nil), true, model.ReasonOK, "expires in"},
		{"expired fails", expired, httpsCheck(nil), false, model.ReasonTLS, ""},
		{"expired unverified warns", expired, httpsCheck(insecure), true, model.ReasonOK, "expired"},
		{"unknown authority", selfSigned, httpsCheck(nil), false, model.ReasonTLS, ""},
		{"unknown authority unverified", selfSigned, httpsCheck(insecure), true, model.ReasonOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := probeTimed(t, HTTP, tlsServer(t, tt.cert), tt.c)
			wantResult(t, res, tt.up, tt.reason)
			if !strings.Contains(res.Warning, tt.warning) || (tt.warning == "") != (res.Warning == "") {
				t.Errorf("warning %q, want %q", res.Warning, tt.warning)
			}
			if tt.reason != model.ReasonTLS || tt.cert.Leaf == expired.Leaf {
				if !res.CertExpiry.Equal(tt.cert.Leaf.NotAfter) {
					t.Errorf("cert expiry %s, want %s", res.CertExpiry, tt.cert.Leaf.NotAfter)
				}
			}
		})
	}
}

func TestHTTPSAgainstPlainServer(t *testing.T) {
	srv := httptest.NewServer(testMux(t))
	defer srv.Close()
	res := probeTimed(t, HTTP, targetOf(t, srv.Listener.Addr().String()), httpsCheck(nil))
	wantResult(t, res, false, model.ReasonTLS)
}

func TestHTTPSHangIsTimeout(t *testing.T) {
	c := httpsCheck(func(c *config.Check) { c.Timeout = 300 * time.Millisecond })
	wantResult(t, probeTimed(t, HTTP, hangListener(t), c), false, model.ReasonTimeout)
}

func TestHTTPOverIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := httptest.NewUnstartedServer(testMux(t))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	c := check(config.CheckHTTP)
	c.HTTP.Path = "/ok?from=probe"
	wantResult(t, probeTimed(t, HTTP, targetOf(t, ln.Addr().String()), c), true, model.ReasonOK)
}

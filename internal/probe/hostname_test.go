package probe

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"outlast/internal/config"
	"outlast/internal/model"
)

// albName stands for an ALB's or a CDN's hostname, whose addresses the
// node's resolver hands the probe.
const albName = "alb.probe.test"

// seen is what a hostname test server saw of the last probe.
type seen struct {
	sni   string // the SNI of the last handshake, failed or not
	host  string // the Host header of the last request
	local string // the address the last request arrived on
}

// hostServer starts an HTTP server listening on ip (a loopback address),
// serving HTTPS with cert when cert is not nil, answering status, and
// recording what each probe sent. It returns the port and a reader of what
// was seen.
func hostServer(t *testing.T, ip string, cert *tls.Certificate, status int) (int, func() seen) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		last seen
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last.host = r.Host
		last.local = r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()
		mu.Unlock()
		w.WriteHeader(status)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes the tests fail on purpose
	if cert == nil {
		srv.Start()
	} else {
		srv.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			mu.Lock()
			last.sni = hello.ServerName
			mu.Unlock()
			return cert, nil
		}}
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return ln.Addr().(*net.TCPAddr).Port, func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// hostTarget is a hostname target resolved to addrs.
func hostTarget(port int, addrs ...string) Target {
	tg := Target{Endpoint: "alb", Host: albName, Port: port}
	for _, a := range addrs {
		tg.Addrs = append(tg.Addrs, netip.MustParseAddr(a))
	}
	return tg
}

// TestHostnameHTTPSSendsHostAndSNI: a probe of a hostname endpoint connects
// to the address it was given (127.0.0.2, where nothing else listens), sends
// the hostname as SNI and Host, and verifies the certificate against the
// hostname: the certificate names no address, so verifying against the
// address, as an address endpoint does, would fail.
func TestHostnameHTTPSSendsHostAndSNI(t *testing.T) {
	cert := testCA.named(t, albName)
	port, last := hostServer(t, "127.0.0.2", &cert, http.StatusOK)

	res := probeTimed(t, HTTP, hostTarget(port, "127.0.0.2"), check(config.CheckHTTPS))
	wantResult(t, res, true, model.ReasonOK)
	got := last()
	want := seen{sni: albName, host: albName + ":" + strconv.Itoa(port), local: "127.0.0.2:" + strconv.Itoa(port)}
	if got != want {
		t.Errorf("server saw %+v, want %+v", got, want)
	}
}

// TestHostnameCertificateForAnotherName: a certificate that does not name
// the hostname fails the probe as TLS, and the detail names the hostname
// and the address that served it.
func TestHostnameCertificateForAnotherName(t *testing.T) {
	cert := testCA.named(t, "other.probe.test")
	port, last := hostServer(t, "127.0.0.1", &cert, http.StatusOK)

	res := probeTimed(t, HTTP, hostTarget(port, "127.0.0.1"), check(config.CheckHTTPS))
	wantResult(t, res, false, model.ReasonTLS)
	if prefix := albName + ": 127.0.0.1:" + strconv.Itoa(port) + ": "; !strings.HasPrefix(res.Detail, prefix) {
		t.Errorf("detail %q, want it to start with %q", res.Detail, prefix)
	}
	if sni := last().sni; sni != albName {
		t.Errorf("server saw SNI %q, want %q", sni, albName)
	}
}

// TestHostnameCheckOverrides: the check's http.host and tls.server_name
// still win over the target's hostname.
func TestHostnameCheckOverrides(t *testing.T) {
	cert := testCA.named(t, albName, "www.probe.test", "sni.probe.test")
	port, last := hostServer(t, "127.0.0.1", &cert, http.StatusOK)
	tg := hostTarget(port, "127.0.0.1")
	hostPort := albName + ":" + strconv.Itoa(port)

	tests := []struct {
		name              string
		host, sni         string // the check's http.host and tls.server_name
		wantHost, wantSNI string
	}{
		{"http.host sets Host and SNI", "www.probe.test", "", "www.probe.test", "www.probe.test"},
		{"tls.server_name sets SNI only", "", "sni.probe.test", hostPort, "sni.probe.test"},
		{"both", "www.probe.test", "sni.probe.test", "www.probe.test", "sni.probe.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := check(config.CheckHTTPS)
			c.HTTP.Host, c.TLS.ServerName = tt.host, tt.sni
			wantResult(t, probeTimed(t, HTTP, tg, c), true, model.ReasonOK)
			if got := last(); got.host != tt.wantHost || got.sni != tt.wantSNI {
				t.Errorf("server saw Host %q and SNI %q, want %q and %q", got.host, got.sni, tt.wantHost, tt.wantSNI)
			}
		})
	}
}

// TestHostnameHTTPDetail: a plain HTTP probe sends the hostname as Host,
// and a failure's detail names the hostname and the address that answered.
func TestHostnameHTTPDetail(t *testing.T) {
	port, last := hostServer(t, "127.0.0.1", nil, http.StatusServiceUnavailable)

	res := probeTimed(t, HTTP, hostTarget(port, "127.0.0.1"), check(config.CheckHTTP))
	wantResult(t, res, false, model.ReasonStatus)
	if want := albName + ": 127.0.0.1:" + strconv.Itoa(port) + ": status 503"; !strings.HasPrefix(res.Detail, want) {
		t.Errorf("detail %q, want it to start with %q", res.Detail, want)
	}
	if host, want := last().host, albName+":"+strconv.Itoa(port); host != want {
		t.Errorf("server saw Host %q, want %q", host, want)
	}
}

// TestHostnameFirstAddressRefuses: the first address refuses (nothing
// listens on 127.0.0.3), so the probe is made through the next.
func TestHostnameFirstAddressRefuses(t *testing.T) {
	cert := testCA.named(t, albName)
	port, last := hostServer(t, "127.0.0.1", &cert, http.StatusOK)

	res := probeTimed(t, HTTP, hostTarget(port, "127.0.0.3", "127.0.0.1"), check(config.CheckHTTPS))
	wantResult(t, res, true, model.ReasonOK)
	if local, want := last().local, "127.0.0.1:"+strconv.Itoa(port); local != want {
		t.Errorf("request arrived on %q, want %q", local, want)
	}
}

// TestHostnameTriesAtMostMaxAddrs: addresses past MaxAddrs are never
// tried, even when one of them would answer; the detail names each tried.
func TestHostnameTriesAtMostMaxAddrs(t *testing.T) {
	port, _ := hostServer(t, "127.0.0.1", nil, http.StatusOK)
	refusing := []string{"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}[:MaxAddrs]
	tg := hostTarget(port, append(refusing, "127.0.0.1")...)

	for _, typ := range []config.CheckType{config.CheckTCP, config.CheckHTTP} {
		res := probeTimed(t, Run, tg, check(typ))
		wantResult(t, res, false, model.ReasonRefused)
		for _, a := range refusing {
			if !strings.Contains(res.Detail, a+":"+strconv.Itoa(port)) {
				t.Errorf("%s: detail %q does not name %s", typ, res.Detail, a)
			}
		}
	}
}

// TestHostnameUnresolved: a hostname the resolver holds no address for
// fails every probe type at once, with the unresolved reason and a detail
// saying so, and dials nothing.
func TestHostnameUnresolved(t *testing.T) {
	for _, typ := range []config.CheckType{config.CheckHTTP, config.CheckHTTPS, config.CheckTCP, config.CheckDNS, config.CheckGRPC} {
		res := probeTimed(t, Run, Target{Endpoint: "alb", Host: albName, Port: 443}, check(typ))
		wantResult(t, res, false, reasonUnresolved)
		if want := albName + ": unresolved"; !strings.HasPrefix(res.Detail, want) {
			t.Errorf("%s: detail %q, want it to start with %q", typ, res.Detail, want)
		}
	}
}

// TestHostnameGRPCOverTLS: a gRPC probe of a hostname sends it as SNI and
// verifies the certificate against it.
func TestHostnameGRPCOverTLS(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cert   string
		reason model.Reason
	}{{"certificate for the hostname", albName, model.ReasonOK}, {"certificate for another name", "other.probe.test", model.ReasonTLS}} {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				sni string
			)
			cert := testCA.named(t, tt.cert)
			creds := credentials.NewTLS(&tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				mu.Lock()
				sni = hello.ServerName
				mu.Unlock()
				return &cert, nil
			}})
			srv := grpcServer(t, true, grpc.Creds(creds))
			c := grpcCheck("")
			c.TLS.Enabled = true
			res := probeTimed(t, GRPC, hostTarget(srv.Port, srv.Addr.String()), c)
			wantResult(t, res, tt.reason == model.ReasonOK, tt.reason)
			mu.Lock()
			defer mu.Unlock()
			if sni != albName {
				t.Errorf("server saw SNI %q, want %q", sni, albName)
			}
		})
	}
}

func TestHostHeader(t *testing.T) {
	tests := []struct {
		port int
		tls  bool
		want string
	}{
		{80, false, albName},
		{443, true, albName},
		{443, false, albName + ":443"},
		{8080, false, albName + ":8080"},
		{8443, true, albName + ":8443"},
	}
	for _, tt := range tests {
		if got := hostHeader(albName, tt.port, tt.tls); got != tt.want {
			t.Errorf("hostHeader(%d, tls=%v) = %q, want %q", tt.port, tt.tls, got, tt.want)
		}
	}
}

// TestServerNameOfHostname: the SNI precedence for a hostname target is
// tls.server_name, then (http and https) http.host, then the hostname.
func TestServerNameOfHostname(t *testing.T) {
	tg := Target{Host: albName, Addr: netip.MustParseAddr("192.0.2.7"), Port: 443}
	tests := []struct {
		name      string
		typ       config.CheckType
		host, sni string
		want      string
	}{
		{"hostname", config.CheckHTTPS, "", "", albName},
		{"http.host wins", config.CheckHTTPS, "www.probe.test:8443", "", "www.probe.test"},
		{"tls.server_name wins", config.CheckHTTPS, "www.probe.test", "sni.probe.test", "sni.probe.test"},
		{"grpc ignores http.host", config.CheckGRPC, "www.probe.test", "", albName},
	}
	for _, tt := range tests {
		c := check(tt.typ)
		c.HTTP.Host, c.TLS.ServerName = tt.host, tt.sni
		if got := serverName(tg, c); got != tt.want {
			t.Errorf("%s: serverName = %q, want %q", tt.name, got, tt.want)
		}
	}
}

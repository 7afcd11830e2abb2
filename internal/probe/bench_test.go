package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"outlast/internal/config"
)

// The probe benchmarks time one whole probe against a loopback server, the
// server's share of the CPU included. At 10,000 endpoints probed every
// second a node runs 10,000 probes a second; these figures say how much of
// a machine that takes.

func benchProbe(b *testing.B, tg Target, c config.Check) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		if res := Run(context.Background(), tg, c); !res.Up {
			b.Fatalf("probe failed: %s %s", res.Reason, res.Detail)
		}
	}
}

func BenchmarkTCP(b *testing.B) {
	tg := rawServer(b, func(c net.Conn) { c.Close() })
	benchProbe(b, tg, check(config.CheckTCP))
}

func BenchmarkHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	c := check(config.CheckHTTP)
	c.HTTP.BodyContains = "ok"
	benchProbe(b, targetOf(b, srv.Listener.Addr().String()), c)
}

func BenchmarkHTTPS(b *testing.B) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{validLeaf(b)}}
	srv.StartTLS()
	defer srv.Close()
	benchProbe(b, targetOf(b, srv.Listener.Addr().String()), check(config.CheckHTTPS))
}

func BenchmarkDNS(b *testing.B) {
	c := check(config.CheckDNS)
	c.DNS.Query, c.DNS.ExpectAnswer = "up.test.", "192.0.2.1"
	benchProbe(b, dnsServer(b), c)
}

func BenchmarkGRPC(b *testing.B) {
	benchProbe(b, grpcServer(b, true), check(config.CheckGRPC))
}

// BenchmarkHTTPSHostname is BenchmarkHTTPS for a hostname endpoint whose
// first address refuses: the cost of a fallback and of SNI by name.
func BenchmarkHTTPSHostname(b *testing.B) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testCA.named(b, "alb.probe.test")}}
	srv.StartTLS()
	defer srv.Close()
	tg := targetOf(b, srv.Listener.Addr().String())
	tg.Host, tg.Addrs = "alb.probe.test", []netip.Addr{netip.MustParseAddr("127.0.0.3"), tg.Addr}
	benchProbe(b, tg, check(config.CheckHTTPS))
}

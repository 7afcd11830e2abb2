package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/config"
	"outlast/internal/model"
)

// testCA signs every certificate the tests serve; TestMain trusts it in
// place of the system roots.
var testCA *certAuthority

func TestMain(m *testing.M) {
	ca, err := newCertAuthority()
	if err != nil {
		panic(err)
	}
	testCA = ca
	rootCAs = ca.pool
	goleak.VerifyTestMain(m)
}

// margin bounds how late a probe may return after its timeout. It is a
// generous bound for a loaded CI machine, not a speed goal.
const margin = 2 * time.Second

type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCertAuthority() (*certAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "outlast probe test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * 365 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &certAuthority{cert: cert, key: key, pool: pool}, nil
}

var serial = struct {
	sync.Mutex
	n int64
}{n: 1}

// leaf issues a certificate for 127.0.0.1 and probe.test valid from
// notBefore to notAfter. A nil ca makes it self-signed (an unknown authority).
func (ca *certAuthority) leaf(t testing.TB, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	return ca.issue(t, notBefore, notAfter, []string{"probe.test"}, []net.IP{net.IPv4(127, 0, 0, 1)})
}

// named issues a trusted certificate, valid now, for the given DNS names
// only: no IP address, so it verifies only against one of the names, as an
// ALB's or a CDN's does.
func (ca *certAuthority) named(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	return ca.issue(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), names, nil)
}

func (ca *certAuthority) issue(t testing.TB, notBefore, notAfter time.Time, names []string, ips []net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial.Lock()
	serial.n++
	sn := serial.n
	serial.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(sn),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     names,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// validLeaf is trusted and far from expiry.
func validLeaf(t testing.TB) tls.Certificate {
	return testCA.leaf(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
}

// targetOf turns a listener address ("127.0.0.1:1234") into a Target.
func targetOf(t testing.TB, addr string) Target {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatalf("parse %q: %v", addr, err)
	}
	return Target{Endpoint: "ep", Addr: ap.Addr(), Port: int(ap.Port())}
}

// hangListener accepts connections and never reads or answers, like the
// region in the us-east-1 outage whose endpoints hung.
func hangListener(t *testing.T) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return targetOf(t, ln.Addr().String())
}

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T, network string) Target {
	t.Helper()
	var addr string
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr().String()
		pc.Close()
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	return targetOf(t, addr)
}

// check is a Check of the given type with config.Load's defaults filled in.
func check(typ config.CheckType) config.Check {
	return config.Check{
		Type:     typ,
		Interval: time.Second,
		Timeout:  time.Second,
		Fall:     3,
		Rise:     2,
		HTTP: config.HTTPCheck{
			Method:       "GET",
			Path:         "/",
			ExpectStatus: config.StatusRange{Min: 200, Max: 399},
		},
		DNS: config.DNSCheck{QType: "A", ExpectRcode: "NOERROR"},
		TLS: config.TLSCheck{ExpiryWarning: 336 * time.Hour},
	}
}

// probeTimed runs probe and fails the test if it outlived its timeout by
// more than margin.
func probeTimed(t *testing.T, probe func(context.Context, Target, config.Check) model.Result, tg Target, c config.Check) model.Result {
	t.Helper()
	start := time.Now()
	res := probe(context.Background(), tg, c)
	if took := time.Since(start); took > c.Timeout+margin {
		t.Errorf("probe took %s, want at most timeout %s + margin %s", took, c.Timeout, margin)
	}
	return res
}

// wantResult checks the parts of a Result every test cares about.
func wantResult(t *testing.T, res model.Result, up bool, reason model.Reason) {
	t.Helper()
	t.Logf("result: up=%v reason=%s detail=%q warning=%q latency=%s", res.Up, res.Reason, res.Detail, res.Warning, res.Latency)
	if res.Up != up || res.Reason != reason {
		t.Errorf("got up=%v reason=%s detail=%q, want up=%v reason=%s", res.Up, res.Reason, res.Detail, up, reason)
	}
	if !res.Up && res.Detail == "" {
		t.Errorf("failed result has no detail")
	}
}

// rawServer hands every connection to serve, which owns it.
func rawServer(t testing.TB, serve func(net.Conn)) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return targetOf(t, ln.Addr().String())
}

package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"outlast/internal/clock"
	"outlast/internal/errtest"
)

// pair is a small cluster: one CA, nodes a and b, each with its own copy of
// the files, as on separate machines.
type pair struct {
	caDir  string
	clk    *clock.Fake
	fa, fb Files
	ra, rb *Reloader
}

func newPair(t testing.TB) *pair {
	t.Helper()
	p := &pair{caDir: makeCA(t, "test"), clk: clock.NewFake(time.Now())}
	issue(t, p.caDir, "a", NodeOptions{})
	issue(t, p.caDir, "b", NodeOptions{})
	p.fa, p.fb = deploy(t, p.caDir, "a"), deploy(t, p.caDir, "b")
	p.ra, p.rb = load(t, p.fa, "a", p.clk), load(t, p.fb, "b", p.clk)
	return p
}

func TestTLSHandshakeBothWays(t *testing.T) {
	p := newPair(t)
	servers := map[string]*echoServer{"a": serve(t, p.ra.ServerConfig()), "b": serve(t, p.rb.ServerConfig())}
	for _, tc := range []struct {
		from, to string
		client   *Reloader
	}{{"b", "a", p.rb}, {"a", "b", p.ra}} {
		c, res := mustConnect(t, tc.from+" dials "+tc.to, servers[tc.to], tc.client.ClientConfig(tc.to))
		if got := PeerName(c.ConnectionState()); got != tc.to {
			t.Errorf("%s dials %s: client's PeerName %q, want %q", tc.from, tc.to, got, tc.to)
		}
		if res.peer != tc.from {
			t.Errorf("%s dials %s: server's PeerName %q, want %q", tc.from, tc.to, res.peer, tc.from)
		}
		if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
			t.Errorf("negotiated TLS version %x, want 1.3", v)
		}
	}
}

func TestTLSClientChecksServerName(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	for _, name := range []string{"a", "", "localhost", "127.0.0.1", "::1"} {
		mustConnect(t, "server name "+name, sa, p.rb.ClientConfig(name))
	}
	_, err := dial(t, sa.addr, p.rb.ClientConfig("c"))
	sa.next(t)
	if !errtest.WantMessage(t, err, "refusing server") {
		t.Fatalf("dialling a as c: %v, want refused for the wrong name", err)
	}
}

// A node with a certificate from another CA, even under a name the cluster
// knows, is refused by the server...
func TestTLSServerRefusesForeignClient(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	foreignDir := makeCA(t, "test")
	issue(t, foreignDir, "b", NodeOptions{})
	foreign, err := tls.LoadX509KeyPair(NodeFiles(foreignDir, "b").Cert, NodeFiles(foreignDir, "b").Key)
	if err != nil {
		t.Fatal(err)
	}
	// This client trusts anything, so only the server can refuse, and sends
	// its certificate even though the server names other CAs.
	_, cerr := dial(t, sa.addr, &tls.Config{
		MinVersion: tls.VersionTLS13, InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign, nil },
	})
	res := sa.next(t)
	if res.err == nil || !strings.Contains(res.err.Error(), "unknown authority") || cerr == nil {
		t.Fatalf("foreign client: server saw %v, client saw %v; want both to fail, the server on an unknown authority", res.err, cerr)
	}
	// And a whole foreign node (its own Reloader) fails both ways.
	rf := load(t, deploy(t, foreignDir, "b"), "b", p.clk)
	if _, err := dial(t, sa.addr, rf.ClientConfig("a")); err == nil {
		t.Fatal("foreign node dialled a, want refused")
	}
	sa.next(t)
	sf := serve(t, rf.ServerConfig())
	if _, err := dial(t, sf.addr, p.ra.ClientConfig("b")); err == nil {
		t.Fatal("a dialled the foreign node, want refused")
	}
	sf.next(t)
}

// ...and by the client, even when the foreign server asks nothing of it.
func TestTLSClientRefusesForeignServer(t *testing.T) {
	p := newPair(t)
	foreignDir := makeCA(t, "test")
	issue(t, foreignDir, "a", NodeOptions{})
	foreign, err := tls.LoadX509KeyPair(NodeFiles(foreignDir, "a").Cert, NodeFiles(foreignDir, "a").Key)
	if err != nil {
		t.Fatal(err)
	}
	sf := serve(t, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{foreign}})
	for _, name := range []string{"a", ""} {
		_, err := dial(t, sf.addr, p.rb.ClientConfig(name))
		sf.next(t)
		if !errors.As(err, new(x509.UnknownAuthorityError)) {
			t.Fatalf("dialling a foreign server as %q: %v, want refused for an unknown authority", name, err)
		}
	}
}

func TestTLSServerRefusesClientWithoutCertificate(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	_, cerr := dial(t, sa.addr, &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true})
	res := sa.next(t)
	if res.err == nil || cerr == nil {
		t.Fatalf("client without certificate: server saw %v, client saw %v; want both to fail", res.err, cerr)
	}
}

func TestTLSServerRefusesOldProtocolVersions(t *testing.T) {
	p := newPair(t)
	sa := serve(t, p.ra.ServerConfig())
	cfg := p.rb.ClientConfig("a")
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	_, cerr := dial(t, sa.addr, cfg)
	if res := sa.next(t); res.err == nil || cerr == nil {
		t.Fatalf("TLS 1.2 client: server saw %v, client saw %v; want refused", res.err, cerr)
	}
}

func TestTLSLoadRefusesFilesThatDoNotFit(t *testing.T) {
	p := newPair(t)
	foreignDir := makeCA(t, "test")
	issue(t, foreignDir, "a", NodeOptions{})
	cases := map[string]struct {
		files Files
		name  string
		want  string
	}{
		"wrong node":         {p.fa, "b", `is for "a"`},
		"key of other node":  {Files{CA: p.fa.CA, Cert: p.fa.Cert, Key: p.fb.Key}, "a", "private key does not match"},
		"cert of foreign CA": {Files{CA: p.fa.CA, Cert: NodeFiles(foreignDir, "a").Cert, Key: NodeFiles(foreignDir, "a").Key}, "a", "unknown authority"},
		"node cert as CA":    {Files{CA: p.fa.Cert, Cert: p.fa.Cert, Key: p.fa.Key}, "a", "not a CA"},
		"missing file":       {Files{CA: p.fa.CA, Cert: p.fa.Cert + ".missing", Key: p.fa.Key}, "a", "no such file"},
	}
	for name, tc := range cases {
		_, err := Load(tc.files, tc.name)
		if !errtest.WantMessage(t, err, tc.want) {
			t.Errorf("%s: Load: %v, want an error saying %q", name, err, tc.want)
		}
	}
}

// TestTLSServerOnlyCertificate: LoadServer, without a CA file: a certificate from
// elsewhere serves HTTPS as long as the key matches it; a key of another
// certificate is refused with the reason.
func TestTLSServerOnlyCertificate(t *testing.T) {
	p := newPair(t)
	r, err := LoadServer(p.fa.Cert, p.fa.Key, Options{})
	if err != nil {
		t.Fatalf("Load of a certificate and its key without a CA: %v", err)
	}
	cert, err := r.HTTPSConfig().GetCertificate(&tls.ClientHelloInfo{})
	if err != nil || cert.Leaf.Subject.CommonName != "a" {
		t.Fatalf("HTTPSConfig serves %v, %v; want node a's certificate", cert, err)
	}
	if _, err := LoadServer(p.fa.Cert, p.fb.Key, Options{}); !errtest.WantMessage(t, err, "private key does not match") {
		t.Errorf("Load with another certificate's key: %v, want it refused", err)
	}
}

// TestTLSLoadNeedsItsCA: the cluster's loader never falls back to a
// server-only certificate when the CA file is missing from Files.
func TestTLSLoadNeedsItsCA(t *testing.T) {
	p := newPair(t)
	if _, err := Load(Files{Cert: p.fa.Cert, Key: p.fa.Key}, "a"); err == nil {
		t.Error("Load without a CA file took the certificate: only LoadServer may")
	}
}

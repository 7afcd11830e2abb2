package tlsca

import (
	"bytes"
	"crypto/tls"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Generous bounds for IO on loopback; they only bound a hang, never a speed.
const (
	waitBound = 10 * time.Second
	connLife  = time.Minute
)

func makeCA(t testing.TB, cluster string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	if err := InitCA(dir, CAOptions{Name: cluster}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func issue(t testing.TB, caDir, name string, opts NodeOptions) {
	t.Helper()
	if err := IssueNode(caDir, name, opts); err != nil {
		t.Fatal(err)
	}
}

// deploy copies a node's three files from the CA directory into a directory
// of its own, as an operator copies them to the machine.
func deploy(t testing.TB, caDir, name string) Files {
	t.Helper()
	src, dst := NodeFiles(caDir, name), NodeFiles(t.TempDir(), name)
	install(t, src.CA, dst.CA)
	install(t, src.Cert, dst.Cert)
	install(t, src.Key, dst.Key)
	return dst
}

// install replaces dst with src's content the way `install` or `mv` does:
// a new file renamed over the old one.
func install(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	installData(t, dst, data)
}

func installData(t testing.TB, dst string, data []byte) {
	t.Helper()
	if err := writeFile(dst, data, 0o600, true); err != nil {
		t.Fatal(err)
	}
}

func concat(t testing.TB, paths ...string) []byte {
	t.Helper()
	var out []byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data...)
	}
	return out
}

func load(t testing.TB, files Files, name string, clk clock.Clock) *Reloader {
	t.Helper()
	r, err := LoadWithOptions(files, name, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func serialOf(t testing.TB, path string) *big.Int {
	t.Helper()
	certs, err := ReadCertificates(path)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0].SerialNumber
}

// accepted is what the server saw of one incoming connection.
type accepted struct {
	err    error
	peer   string
	serial *big.Int
}

// echoServer accepts TLS on loopback and echoes bytes back, reporting each
// handshake's outcome on results.
type echoServer struct {
	addr    string
	results chan accepted
}

func serve(t *testing.T, cfg *tls.Config) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: ln.Addr().String(), results: make(chan accepted, 64)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.handle(c, cfg) })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return s
}

func (s *echoServer) handle(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(connLife))
	tc := tls.Server(c, cfg)
	err := tc.Handshake()
	res := accepted{err: err}
	if cs := tc.ConnectionState(); err == nil {
		res.peer, res.serial = PeerName(cs), cs.PeerCertificates[0].SerialNumber
	}
	s.results <- res
	if err == nil {
		_, _ = io.Copy(tc, tc)
	}
}

// next returns the outcome of the next handshake the server finished.
func (s *echoServer) next(t *testing.T) accepted {
	t.Helper()
	select {
	case res := <-s.results:
		return res
	case <-time.After(waitBound):
		t.Fatalf("server %s: no handshake finished within %v", s.addr, waitBound)
		return accepted{}
	}
}

// dial connects and makes one round trip: in TLS 1.3 the client finishes
// its handshake before the server has judged the client certificate, so
// only a round trip shows the server's verdict. The connection stays open
// until the test ends.
func dial(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitBound)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(connLife))
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	if err := roundTrip(tc); err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(func() { tc.Close() })
	return tc, nil
}

func roundTrip(c *tls.Conn) error {
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if !bytes.Equal(buf, []byte("ping")) {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// mustConnect dials and checks both ends agree the handshake succeeded.
func mustConnect(t *testing.T, step string, s *echoServer, cfg *tls.Config) (*tls.Conn, accepted) {
	t.Helper()
	c, err := dial(t, s.addr, cfg)
	res := s.next(t)
	if err != nil || res.err != nil {
		t.Fatalf("%s: handshake failed: client saw %v, server saw %v; want success", step, err, res.err)
	}
	return c, res
}

func peerSerial(c *tls.Conn) *big.Int {
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

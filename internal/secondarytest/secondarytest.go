// Package secondarytest starts real third-party secondaries — Knot DNS
// (knotd) and BIND (named), from their Debian packages — on loopback, each
// in its own temporary directory, transferring one zone from a primary
// with a TSIG key, so tests can hold outlast's zone transfers to what the
// secondaries operators use actually accept. It is test support only:
// nothing the server binary links imports it.
package secondarytest

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Config describes one secondary.
type Config struct {
	// Zone is the zone's apex, fully qualified.
	Zone string
	// Primary is where the zone is transferred from.
	Primary netip.AddrPort
	// Listen is the loopback address the secondary sends its SOA queries
	// and transfers from, and where Knot answers (a free port is chosen).
	// named answers on 127.0.0.1 instead: it listens only on addresses an
	// interface holds, and lo holds 127.0.0.1 alone.
	Listen netip.Addr
	// KeyName, Algorithm (miekg's name, e.g. dns.HmacSHA256) and Secret
	// (base64) sign every request to the primary; NOTIFY is accepted from
	// 127.0.0.0/8, signed with it (Knot), or signed or not (named).
	KeyName, Algorithm, Secret string
}

// Secondary is a running knotd or named.
type Secondary struct {
	Name string         // "knot" or "bind"
	Addr netip.AddrPort // where it answers
	log  *syncBuffer
}

// Log returns what the secondary logged so far.
func (s *Secondary) Log() string { return s.log.String() }

// Query asks the secondary over UDP.
func (s *Secondary) Query(name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, s.Addr.String())
	return r, err
}

// Serial returns the zone's serial as the secondary answers it, or ok
// false while it has no zone.
func (s *Secondary) Serial(zone string) (serial uint32, ok bool) {
	r, err := s.Query(zone, dns.TypeSOA)
	if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		return 0, false
	}
	soa, isSOA := r.Answer[0].(*dns.SOA)
	if !isSOA {
		return 0, false
	}
	return soa.Serial, true
}

// WaitSerial waits up to timeout for the secondary to serve the zone at
// serial, failing the test with the secondary's log otherwise.
func (s *Secondary) WaitSerial(t testing.TB, zone string, serial uint32, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, ok := s.Serial(zone)
		if ok && got == serial {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve %s at serial %d within %v (serving: %d, %v); its log:\n%s", s.Name, zone, serial, timeout, got, ok, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StartKnot starts knotd as a secondary of cfg.Zone, skipping the test
// when knotd is not installed (Debian package knot).
func StartKnot(t testing.TB, cfg Config) *Secondary {
	t.Helper()
	bin, err := exec.LookPath("knotd")
	if err != nil {
		t.Skip("knotd not installed (Debian package knot): the Knot secondary test needs it")
	}
	dir := t.TempDir()
	port := FreePort(t, cfg.Listen)
	zone := strings.TrimSuffix(dns.Fqdn(cfg.Zone), ".")
	conf := fmt.Sprintf(`server:
    rundir: %[1]q
    listen: %[2]s@%[3]d
database:
    storage: %[1]q
key:
  - id: %[4]s
    algorithm: %[5]s
    secret: %[6]s
remote:
  - id: primary
    address: %[7]s@%[8]d
    via: %[2]s
    key: %[4]s
acl:
  - id: notify
    address: 127.0.0.0/8
    key: %[4]s
    action: notify
template:
  - id: default
    storage: %[1]q
zone:
  - domain: %[9]s
    master: primary
    acl: notify
log:
  - target: stderr
    any: info
`, dir, cfg.Listen, port, cfg.KeyName, strings.TrimSuffix(cfg.Algorithm, "."), cfg.Secret,
		cfg.Primary.Addr(), cfg.Primary.Port(), zone)
	path := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "knot", netip.AddrPortFrom(cfg.Listen, port), bin, "-c", path)
}

// StartBIND starts named as a secondary of cfg.Zone, skipping the test
// when named is not installed (Debian package bind9).
func StartBIND(t testing.TB, cfg Config) *Secondary {
	t.Helper()
	bin, err := exec.LookPath("named")
	if err != nil {
		t.Skip("named not installed (Debian package bind9): the BIND secondary test needs it")
	}
	dir := t.TempDir()
	answer := netip.MustParseAddr("127.0.0.1")
	port := FreePort(t, answer)
	zone := strings.TrimSuffix(dns.Fqdn(cfg.Zone), ".")
	conf := fmt.Sprintf(`options {
	directory %[1]q;
	pid-file %[10]q;
	listen-on port %[3]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-notify { 127.0.0.0/8; };
	transfer-source %[2]s;
	query-source address %[2]s;
};
controls { };
key %[4]q { algorithm %[5]s; secret %[6]q; };
server %[7]s { keys { %[4]q; }; };
zone %[9]q {
	type secondary;
	primaries port %[8]d { %[7]s key %[4]q; };
	file "zone.db";
};
`, dir, cfg.Listen, port, cfg.KeyName, strings.TrimSuffix(cfg.Algorithm, "."), cfg.Secret,
		cfg.Primary.Addr(), cfg.Primary.Port(), zone, filepath.Join(dir, "named.pid"))
	path := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -g: foreground, log to stderr; -n 1: one worker is plenty.
	return start(t, "bind", netip.AddrPortFrom(answer, port), bin, "-g", "-n", "1", "-c", path)
}

// start runs a secondary until the test ends and waits until it answers
// (any rcode: it has no zone before its first transfer).
func start(t testing.TB, name string, addr netip.AddrPort, bin string, args ...string) *Secondary {
	t.Helper()
	s := &Secondary{Name: name, Addr: addr, log: new(syncBuffer)}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, s.Log())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := s.Query("version.bind.", dns.TypeTXT); err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s within 20 s; its log:\n%s", name, addr, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TransferIn runs the transfer m asks for over conn with miekg's client, as
// a secondary would: signed with keyName and secret (base64, HMAC-SHA256)
// unless secret is "", every message's TSIG then verified. It returns the
// records of every envelope up to the first error, and that error.
func TransferIn(conn net.Conn, m *dns.Msg, keyName, secret string) ([]dns.RR, error) {
	tr := &dns.Transfer{Conn: &dns.Conn{Conn: conn}}
	if secret != "" {
		tr.TsigSecret = map[string]string{keyName: secret}
		m.SetTsig(keyName, dns.HmacSHA256, 300, time.Now().Unix())
	}
	ch, err := tr.In(m, conn.RemoteAddr().String())
	if err != nil {
		return nil, err
	}
	var rrs []dns.RR
	for env := range ch {
		if env.Error != nil {
			return rrs, env.Error
		}
		rrs = append(rrs, env.RR...)
	}
	return rrs, nil
}

// FreePort finds a port free for both UDP and TCP on addr.
func FreePort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
		if err != nil {
			t.Fatalf("listening on %s: %v", addr, err)
		}
		port := uint16(u.LocalAddr().(*net.UDPAddr).Port)
		l, err := net.Listen("tcp", netip.AddrPortFrom(addr, port).String())
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatalf("no port free for both UDP and TCP on %s after 20 tries", addr)
	return 0
}

// syncBuffer is a bytes.Buffer written by a child process's output copier
// and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

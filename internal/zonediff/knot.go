package zonediff

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// knotPaths are where Debian's knot package puts knotd; PATH is tried first.
var knotPaths = []string{"/usr/sbin/knotd", "/usr/local/sbin/knotd"}

// knotd finds the knotd binary, or "" when Knot is not installed.
func knotd() string {
	if p, err := exec.LookPath("knotd"); err == nil {
		return p
	}
	for _, p := range knotPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// StartKnot serves zone (an RFC 1035 master file for apex) from knotd on a
// free loopback port, in the foreground as a child of the test, until the
// test ends. It returns once Knot answers the zone's SOA. Without knotd the
// test is skipped, saying how to install it.
func StartKnot(t testing.TB, name, apex, zone string) Server {
	t.Helper()
	bin := knotd()
	if bin == "" {
		t.Skip("knotd is not installed (Debian: apt-get install knot); the differential test needs Knot as its reference")
	}
	var lastErr error
	for range 3 { // a free port can be taken between choosing it and knotd binding it
		addr, err := freePort()
		if err != nil {
			t.Fatalf("zonediff: %v", err)
		}
		if lastErr = runKnot(t, bin, addr, []Zone{{apex, zone}}); lastErr == nil {
			return Server{Name: name, Addr: addr}
		}
	}
	t.Fatalf("zonediff: knotd did not serve %s: %v", apex, lastErr)
	return Server{}
}

// Zone is one zone a Knot serves: its apex and its master file's text.
type Zone struct{ Apex, Text string }

// StartKnotAt starts knotd on addr (host:port; port 53 needs root) serving
// zones, such as a root and a parent zone that delegate to the servers
// under test, and stops it when the test ends. It skips the test when
// knotd is not installed.
func StartKnotAt(t testing.TB, addr string, zones ...Zone) Server {
	t.Helper()
	bin := knotd()
	if bin == "" {
		t.Skip("knotd is not installed (Debian: apt-get install knot)")
	}
	if err := runKnot(t, bin, addr, zones); err != nil {
		t.Fatalf("zonediff: knotd did not serve at %s: %v", addr, err)
	}
	return Server{Name: "knot", Addr: addr}
}

// runKnot starts knotd on addr and waits until it answers the first zone's
// SOA, or stops it and says why it did not.
func runKnot(t testing.TB, bin, addr string, zones []Zone) error {
	dir := t.TempDir()
	if err := writeKnotFiles(dir, addr, zones); err != nil {
		return err
	}
	apex := zones[0].Apex
	var out bytes.Buffer
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "knot.conf"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := sync.OnceFunc(func() { stopKnot(cmd, exited) })
	if err := waitForSOA(addr, apex, exited); err != nil {
		stop()
		return fmt.Errorf("%w (knotd exit: %v; its output:\n%s)", err, waitErr, out.String())
	}
	t.Cleanup(stop)
	return nil
}

// stopKnot asks knotd to stop, and kills it after 10 seconds.
func stopKnot(cmd *exec.Cmd, exited chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// writeKnotFiles writes a minimal knot.conf (no DNSSEC, no journal of
// changes, errors to stderr) and the zones into dir.
func writeKnotFiles(dir, addr string, zones []Zone) error {
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf(`server:
    rundir: %q
    listen: %s@%s
database:
    storage: %q
log:
  - target: stderr
    any: warning
zone:
`, dir, host, port, filepath.Join(dir, "db"))
	for i, z := range zones {
		zoneFile := filepath.Join(dir, fmt.Sprintf("zone%d", i))
		if err := os.WriteFile(zoneFile, []byte(z.Text), 0o600); err != nil {
			return err
		}
		conf += fmt.Sprintf(`  - domain: %s
    file: %q
    storage: %q
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
`, dns.Fqdn(z.Apex), zoneFile, dir)
	}
	return os.WriteFile(filepath.Join(dir, "knot.conf"), []byte(conf), 0o600)
}

// WaitForSOA waits up to 20 seconds until the server at addr answers
// apex's SOA, for a server under test that answers once it has built its
// zone.
func WaitForSOA(addr, apex string) error { return waitForSOA(addr, apex, nil) }

// waitForSOA polls addr for apex's SOA for up to 20 seconds (a loaded test
// machine), or until exited closes (never, when nil).
func waitForSOA(addr, apex string, exited <-chan struct{}) error {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(apex), dns.TypeSOA)
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	var last error = errors.New("no answer yet")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return errors.New("knotd exited before answering")
		default:
		}
		r, _, err := c.Exchange(m, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("answered %s with %d records", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no SOA for %s from %s within 20 s: %v", apex, addr, last)
}

// freePort finds a loopback port free for both UDP and TCP.
func freePort() (string, error) {
	for range 20 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := tl.Addr().String()
		ul, err := net.ListenPacket("udp", addr)
		tl.Close()
		if err == nil {
			ul.Close()
			return addr, nil
		}
	}
	return "", errors.New("no loopback port free for both UDP and TCP")
}

package dnscookie

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestKnotInterop runs a real Knot DNS (Debian's knotd) on loopback with
// mod-cookies and the same secret as a Jar, and holds both directions of
// RFC 9018 interoperability: the cookie Knot hands out is one Check accepts
// and Make reproduces byte for byte, and the cookie Make hands out is one
// Knot accepts (with badcookie-slip 1 Knot answers BADCOOKIE to every query
// whose server cookie it does not accept, so its rcode is the verdict).
func TestKnotInterop(t *testing.T) {
	knotd, err := exec.LookPath("knotd")
	if err != nil {
		t.Skip("knotd not installed (Debian package knot); the RFC 9018 examples still hold the format")
	}
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	jar := Jar{Current: secret}
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	if l, err := net.ListenPacket("udp6", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, netip.MustParseAddr("::1"))
	}
	port := startKnot(t, knotd, secret, addrs)

	for _, ip := range addrs {
		server := netip.AddrPortFrom(ip, port).String()
		t.Run(ip.String(), func(t *testing.T) {
			client := [ClientLen]byte{0xde, 0xad, 0xbe, 0xef, 0xfe, 0xeb, 0xda, byte(ip.BitLen() / 8)}

			// Knot's cookie, checked and remade here.
			before := time.Now()
			rcode, fromKnot := queryWithCookie(t, server, client[:])
			if rcode != dns.RcodeBadCookie {
				t.Fatalf("client cookie alone: rcode %s, want BADCOOKIE with a server cookie", dns.RcodeToString[rcode])
			}
			if v := jar.Check(client, fromKnot, ip, time.Now()); v != Valid {
				t.Errorf("Knot's cookie %x: Check says %v, want valid", fromKnot, v)
			}
			stamp := time.Unix(int64(binary.BigEndian.Uint32(fromKnot[4:8])), 0)
			if stamp.Before(before.Add(-2*time.Second)) || stamp.After(time.Now().Add(2*time.Second)) {
				t.Fatalf("Knot's cookie timestamp %v is not the time of the query (%v)", stamp, before)
			}
			if ours := jar.Make(nil, client, ip, stamp); !bytes.Equal(ours, fromKnot) {
				t.Errorf("Make at Knot's timestamp = %x, Knot made %x", ours, fromKnot)
			}

			// Our cookie, sent to Knot.
			ours := jar.Make(client[:], client, ip, time.Now())
			if rcode, _ := queryWithCookie(t, server, ours); rcode != dns.RcodeSuccess {
				t.Errorf("Knot answered our cookie %x with %s, want NOERROR", ours[8:], dns.RcodeToString[rcode])
			}

			// And one made with another secret, which Knot must refuse, or
			// the step above proves nothing.
			stranger := Jar{Current: Secret{1}}
			forged := stranger.Make(client[:], client, ip, time.Now())
			if rcode, _ := queryWithCookie(t, server, forged); rcode != dns.RcodeBadCookie {
				t.Errorf("Knot answered a cookie of another secret with %s, want BADCOOKIE", dns.RcodeToString[rcode])
			}
		})
	}
}

// startKnot writes a configuration with one small zone and mod-cookies
// holding secret, starts knotd listening on addrs, and waits until it
// answers. It returns the port.
func startKnot(t *testing.T, knotd string, secret Secret, addrs []netip.Addr) uint16 {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	zone := "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 3600 600 86400 60\n" +
		"example.com. 3600 IN NS ns.example.com.\nns.example.com. 3600 IN A 192.0.2.53\n"
	if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), []byte(zone), 0o600); err != nil {
		t.Fatal(err)
	}
	var listen string
	for _, a := range addrs {
		listen += fmt.Sprintf("    listen: %s@%d\n", a, port)
	}
	conf := fmt.Sprintf(`server:
    rundir: %q
%sdatabase:
    storage: %q
mod-cookies:
  - id: shared
    secret: 0x%s
    badcookie-slip: 1
template:
  - id: default
    global-module: mod-cookies/shared
    storage: %q
zone:
  - domain: example.com
log:
  - target: stderr
    any: info
`, dir, listen, dir, hex.EncodeToString(secret[:]), dir)
	confPath := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(knotd, "-c", confPath)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting knotd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("knotd's log:\n%s", log.String())
		}
	})

	server := netip.AddrPortFrom(addrs[0], port).String()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := new(dns.Msg)
		m.SetQuestion("ns.example.com.", dns.TypeA)
		c := &dns.Client{Timeout: 500 * time.Millisecond}
		if r, _, err := c.Exchange(m, server); err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 {
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("knotd did not answer for ns.example.com on %s within 20 s", server)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort finds a port free for both UDP and TCP on loopback.
func freePort(t *testing.T) uint16 {
	t.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			l.Close()
			return uint16(port)
		}
	}
	t.Fatal("no port free for both UDP and TCP on 127.0.0.1 after 20 tries")
	return 0
}

// queryWithCookie sends a query over UDP carrying option as its COOKIE and
// returns the rcode and the server cookie of the answer.
func queryWithCookie(t *testing.T, server string, option []byte) (int, []byte) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("ns.example.com.", dns.TypeA)
	m.SetEdns0(1232, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: hex.EncodeToString(option)})
	c := &dns.Client{Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("query to %s: %v", server, err)
	}
	var server16 []byte
	if o := r.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if ck, ok := e.(*dns.EDNS0_COOKIE); ok {
				data, err := hex.DecodeString(ck.Cookie)
				if err != nil {
					t.Fatalf("answer's COOKIE %q: %v", ck.Cookie, err)
				}
				client, server, err := Parse(data)
				if err != nil || !bytes.Equal(client[:], option[:ClientLen]) {
					t.Fatalf("answer's COOKIE %x: %v, or not our client cookie", data, err)
				}
				server16 = server
			}
		}
	}
	return r.Rcode, server16
}

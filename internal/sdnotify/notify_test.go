package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// listen is a service manager's end: a unixgram socket in a temporary directory.
func listen(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification within 10s: %v", err)
	}
	return string(buf[:n])
}

func TestNotifySendsOneDatagramPerCall(t *testing.T) {
	conn, path := listen(t)
	n, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(Ready); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
	if err := n.Notify(Reloading()...); err != nil {
		t.Fatal(err)
	}
	got := receive(t, conn)
	if !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("got %q, want RELOADING=1 and MONOTONIC_USEC= in one datagram", got)
	}
	if err := n.Notify(Stopping); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "STOPPING=1" {
		t.Errorf("got %q, want STOPPING=1", got)
	}
}

func TestFromEnvUnsetsTheVariable(t *testing.T) {
	_, path := listen(t)
	t.Setenv("NOTIFY_SOCKET", path)
	n, err := FromEnv()
	if err != nil || !n.Enabled() {
		t.Fatalf("FromEnv() = %v, %v; want an enabled notifier", n, err)
	}
	if v, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
		t.Errorf("NOTIFY_SOCKET still set to %q: hooks outlast starts would notify in its name", v)
	}
}

func TestNoSocketIsANoOp(t *testing.T) {
	n, err := New("")
	if err != nil || n.Enabled() {
		t.Fatalf("New(\"\") = %v, %v; want a disabled notifier", n, err)
	}
	if err := n.Notify(Ready); err != nil {
		t.Errorf("Notify without a socket: %v", err)
	}
}

func TestBadSocketsAreRefused(t *testing.T) {
	for _, path := range []string{"relative/sock", strings.Repeat("/x", 60)} {
		if _, err := New(path); err == nil {
			t.Errorf("New(%q) accepted", path)
		}
	}
	n, _ := New("/run/outlast-test/notify") // refused before any socket is dialled
	if err := n.Notify("READY=1\nSTATUS=x"); err == nil {
		t.Error("a state holding a newline was sent")
	}
}

// TestWaitAnsweringWaitsOutServfail: a server that answers SERVFAIL (a
// member catching up) keeps the wait going; the first other answer ends it.
func TestWaitAnsweringWaitsOutServfail(t *testing.T) {
	var holding = make(chan struct{})
	addr := serveDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		select {
		case <-holding:
			m.SetRcode(r, dns.RcodeRefused)
		default:
			m.SetRcode(r, dns.RcodeServerFailure)
		}
		_ = w.WriteMsg(m)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := WaitAnswering(ctx, addr, 20*time.Millisecond)
	cancel()
	if !errors.Is(err, ErrNotAnswering) {
		t.Fatalf("WaitAnswering on a server answering SERVFAIL = %v, want ErrNotAnswering", err)
	}
	close(holding)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := WaitAnswering(ctx, addr, 20*time.Millisecond); err != nil {
		t.Fatalf("WaitAnswering on a server answering REFUSED: %v", err)
	}
}

func TestWaitAnsweringAsksLoopbackForAnUnspecifiedAddress(t *testing.T) {
	addr := serveDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeRefused)
		_ = w.WriteMsg(m)
	})
	unspecified := &net.UDPAddr{IP: net.IPv4zero, Port: addr.(*net.UDPAddr).Port}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := WaitAnswering(ctx, unspecified, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func serveDNS(t *testing.T, h dns.HandlerFunc) net.Addr {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr()
}

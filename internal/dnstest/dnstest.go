// Package dnstest starts real DNS servers on loopback for tests: the
// upstream resolver a node's resolver asks, a provider's DNS that fails,
// a server a probe checks. Every caller brings its own dns.Handler; this
// package owns only binding UDP and TCP on one port, waiting until both
// serve, and stopping them when the test ends. Only tests import it.
package dnstest

import (
	"net"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Serve answers with h over UDP and TCP on one port of 127.0.0.1 until
// the test ends, and returns that address ("127.0.0.1:port").
func Serve(t testing.TB, h dns.Handler) string {
	t.Helper()
	pc, ln := listenBoth(t)
	start(t, &dns.Server{PacketConn: pc, Handler: h}, &dns.Server{Listener: ln, Handler: h})
	return pc.LocalAddr().String()
}

// ServeUDP answers with h over UDP only, for tests that must see a client
// get no TCP answer.
func ServeUDP(t testing.TB, h dns.Handler) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	start(t, &dns.Server{PacketConn: pc, Handler: h})
	return pc.LocalAddr().String()
}

// listenBoth binds UDP and TCP on one loopback port; a port free for UDP
// may be taken for TCP, so it tries a few.
func listenBoth(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
	}
	t.Fatal("dnstest: no loopback port free for both UDP and TCP in 20 tries")
	return nil, nil
}

// start runs the servers, returns once each serves, and stops them all
// (waiting for their goroutines) when the test ends.
func start(t testing.TB, servers ...*dns.Server) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Shutdown() // an error for one that never started
		}
		wg.Wait()
	})
	for _, s := range servers {
		started := make(chan struct{})
		failed := make(chan error, 1)
		s.NotifyStartedFunc = func() { close(started) }
		wg.Go(func() {
			if err := s.ActivateAndServe(); err != nil {
				failed <- err
			}
		})
		select {
		case <-started:
		case err := <-failed:
			t.Fatalf("dnstest: the DNS server did not start: %v", err)
		}
	}
}

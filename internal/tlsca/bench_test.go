package tlsca

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// BenchmarkTLSFileCheck is the cost a handshake pays once per CheckEvery:
// a stat of the three files that finds them unchanged.
func BenchmarkTLSFileCheck(b *testing.B) {
	p := newPair(b)
	for b.Loop() {
		p.clk.Advance(time.Second)
		p.ra.maybeReload()
	}
}

// BenchmarkTLSHandshake is one full mutual TLS 1.3 handshake over loopback
// with both ends on Reloader configurations.
func BenchmarkTLSHandshake(b *testing.B) {
	p := newPair(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	serverCfg, clientCfg := p.ra.ServerConfig(), p.rb.ClientConfig("a")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = tls.Server(c, serverCfg).Handshake()
			c.Close()
		}
	}()
	for b.Loop() {
		c, err := tls.Dial("tcp", ln.Addr().String(), clientCfg)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	ln.Close()
	<-done
}

package probe

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
	}()

	c := check(config.CheckTCP)
	wantResult(t, probeTimed(t, TCP, targetOf(t, ln.Addr().String()), c), true, model.ReasonOK)
	<-accepted
}

func TestTCPRefused(t *testing.T) {
	wantResult(t, probeTimed(t, TCP, closedPort(t, "tcp"), check(config.CheckTCP)), false, model.ReasonRefused)
}

func TestRunDispatches(t *testing.T) {
	tg := closedPort(t, "tcp")
	for _, typ := range []config.CheckType{config.CheckHTTP, config.CheckHTTPS, config.CheckTCP, config.CheckGRPC} {
		if res := Run(context.Background(), tg, check(typ)); res.Reason != model.ReasonRefused {
			t.Errorf("Run(%s) against a closed port: reason %s (%s), want refused", typ, res.Reason, res.Detail)
		}
	}
	if res := Run(context.Background(), closedPort(t, "udp"), check(config.CheckDNS)); res.Reason != model.ReasonRefused {
		t.Errorf("Run(dns) against a closed port: reason %s (%s), want refused", res.Reason, res.Detail)
	}
	if res := Run(context.Background(), tg, check("smtp")); res.Up || res.Reason != model.ReasonError {
		t.Errorf("Run(smtp) = %+v, want an error", res)
	}
}

// TestSourceAddress: probes leave from node.probe_source when it is set, so
// a host can probe out of one interface (and a test can tell nodes apart).
func TestSourceAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	from := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	target := Target{Endpoint: "e", Addr: netip.MustParseAddr("127.0.0.1"), Port: ln.Addr().(*net.TCPAddr).Port,
		Source: netip.MustParseAddr("127.0.0.42")}
	if r := TCP(context.Background(), target, config.Check{Type: config.CheckTCP, Timeout: 2 * time.Second}); !r.Up {
		t.Fatalf("probe from 127.0.0.42 failed: %+v", r)
	}
	if got := <-from; got != "127.0.0.42" {
		t.Errorf("the server saw the probe from %s, want 127.0.0.42", got)
	}
}

package probe

import (
	"context"
	"net"
	"testing"

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

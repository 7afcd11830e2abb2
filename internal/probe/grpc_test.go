package probe

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"outlast/internal/config"
	"outlast/internal/model"
)

// grpcServer starts a real gRPC server. With withHealth it serves
// grpc.health.v1 with "" and "up" SERVING and "down" NOT_SERVING.
func grpcServer(t testing.TB, withHealth bool, opts ...grpc.ServerOption) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	if withHealth {
		hs := health.NewServer()
		hs.SetServingStatus("up", healthpb.HealthCheckResponse_SERVING)
		hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
		healthpb.RegisterHealthServer(srv, hs)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return targetOf(t, ln.Addr().String())
}

func grpcCheck(service string) config.Check {
	c := check(config.CheckGRPC)
	c.GRPC.Service = service
	return c
}

func TestGRPC(t *testing.T) {
	tg := grpcServer(t, true)
	tests := []struct {
		service string
		up      bool
		reason  model.Reason
	}{
		{"", true, model.ReasonOK},
		{"up", true, model.ReasonOK},
		{"down", false, model.ReasonNotServing},
		{"unknown", false, model.ReasonNotServing},
	}
	for _, tt := range tests {
		t.Run("service="+tt.service, func(t *testing.T) {
			wantResult(t, probeTimed(t, GRPC, tg, grpcCheck(tt.service)), tt.up, tt.reason)
		})
	}
}

func TestGRPCWithoutHealthService(t *testing.T) {
	wantResult(t, probeTimed(t, GRPC, grpcServer(t, false), grpcCheck("")), false, model.ReasonProtocol)
}

func TestGRPCRefused(t *testing.T) {
	wantResult(t, probeTimed(t, GRPC, closedPort(t, "tcp"), grpcCheck("")), false, model.ReasonRefused)
}

func TestGRPCHangIsTimeout(t *testing.T) {
	c := grpcCheck("")
	c.Timeout = 300 * time.Millisecond
	wantResult(t, probeTimed(t, GRPC, hangListener(t), c), false, model.ReasonTimeout)
}

func TestGRPCHangDuringTLSIsTimeout(t *testing.T) {
	c := grpcCheck("")
	c.Timeout = 300 * time.Millisecond
	c.TLS.Enabled = true
	wantResult(t, probeTimed(t, GRPC, hangListener(t), c), false, model.ReasonTimeout)
}

func TestGRPCOverTLS(t *testing.T) {
	now := time.Now()
	valid := validLeaf(t)
	expired := testCA.leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	serve := func(cert tls.Certificate) Target {
		creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
		return grpcServer(t, true, grpc.Creds(creds))
	}
	tlsOn := func(mod func(*config.Check)) config.Check {
		c := grpcCheck("")
		c.TLS.Enabled = true
		if mod != nil {
			mod(&c)
		}
		return c
	}

	t.Run("valid", func(t *testing.T) {
		res := probeTimed(t, GRPC, serve(valid), tlsOn(nil))
		wantResult(t, res, true, model.ReasonOK)
		if !res.CertExpiry.Equal(valid.Leaf.NotAfter) {
			t.Errorf("cert expiry %s, want %s", res.CertExpiry, valid.Leaf.NotAfter)
		}
	})
	t.Run("expired", func(t *testing.T) {
		res := probeTimed(t, GRPC, serve(expired), tlsOn(nil))
		wantResult(t, res, false, model.ReasonTLS)
		if !res.CertExpiry.Equal(expired.Leaf.NotAfter) {
			t.Errorf("cert expiry %s, want %s", res.CertExpiry, expired.Leaf.NotAfter)
		}
	})
	t.Run("expiry warning", func(t *testing.T) {
		c := tlsOn(func(c *config.Check) { c.TLS.ExpiryWarning = 365 * 24 * time.Hour })
		res := probeTimed(t, GRPC, serve(valid), c)
		wantResult(t, res, true, model.ReasonOK)
		if res.Warning == "" {
			t.Errorf("no warning for a certificate expiring inside the warning window")
		}
	})
	t.Run("wrong server name", func(t *testing.T) {
		c := tlsOn(func(c *config.Check) { c.TLS.ServerName = "other.test" })
		wantResult(t, probeTimed(t, GRPC, serve(valid), c), false, model.ReasonTLS)
	})
}

// A peer that accepts and closes at once is a reset, told by what the
// connection saw, not by the words grpc-go puts in its Unavailable status.
func TestGRPCCloseIsReset(t *testing.T) {
	tg := rawServer(t, func(c net.Conn) { c.Close() })
	wantResult(t, probeTimed(t, GRPC, tg, grpcCheck("")), false, model.ReasonReset)
}

// A peer that answers HTTP/1.1 to gRPC's HTTP/2 preface speaks, but not
// gRPC: a protocol failure.
func TestGRPCToAnHTTP1ServerIsProtocol(t *testing.T) {
	tg := rawServer(t, func(c net.Conn) {
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		io.Copy(io.Discard, c) // until the probe gives up and closes
	})
	wantResult(t, probeTimed(t, GRPC, tg, grpcCheck("")), false, model.ReasonProtocol)
}

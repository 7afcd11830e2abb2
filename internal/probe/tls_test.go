package probe

import (
	"crypto/x509"
	"net/netip"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
)

func TestExpiryWarning(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	window := 14 * 24 * time.Hour
	tests := []struct {
		name   string
		expiry time.Time
		window time.Duration
		want   string // substring; "" means no warning
	}{
		{"far", now.Add(90 * 24 * time.Hour), window, ""},
		{"just outside the window", now.Add(window), window, ""},
		{"inside the window", now.Add(time.Hour), window, "expires in 1h0m0s"},
		{"expired", now.Add(-2 * time.Hour), window, "expired 2h0m0s ago"},
		{"no certificate", time.Time{}, window, ""},
		{"warning off", now.Add(time.Hour), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expiryWarning(tt.expiry, now, tt.window)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("expiryWarning = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEarliestExpiry(t *testing.T) {
	a := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	chain := []*x509.Certificate{{NotAfter: a}, {NotAfter: b}, {NotAfter: a.Add(time.Hour)}}
	if got := earliestExpiry(chain); !got.Equal(b) {
		t.Errorf("earliestExpiry = %s, want %s", got, b)
	}
	if got := earliestExpiry(nil); !got.IsZero() {
		t.Errorf("earliestExpiry(nil) = %s, want zero", got)
	}
}

func TestServerName(t *testing.T) {
	tg := Target{Addr: netip.MustParseAddr("192.0.2.7"), Port: 443}
	https := func(mod func(*config.Check)) config.Check {
		c := check(config.CheckHTTPS)
		mod(&c)
		return c
	}
	tests := []struct {
		name string
		c    config.Check
		want string
	}{
		{"address", https(func(*config.Check) {}), "192.0.2.7"},
		{"host header", https(func(c *config.Check) { c.HTTP.Host = "www.example.test" }), "www.example.test"},
		{"host header with port", https(func(c *config.Check) { c.HTTP.Host = "www.example.test:8443" }), "www.example.test"},
		{"explicit wins", https(func(c *config.Check) {
			c.HTTP.Host = "www.example.test"
			c.TLS.ServerName = "sni.example.test"
		}), "sni.example.test"},
		{"grpc ignores http host", func() config.Check {
			c := check(config.CheckGRPC)
			c.HTTP.Host = "www.example.test"
			return c
		}(), "192.0.2.7"},
	}
	for _, tt := range tests {
		if got := serverName(tg, tt.c); got != tt.want {
			t.Errorf("%s: serverName = %q, want %q", tt.name, got, tt.want)
		}
	}
}

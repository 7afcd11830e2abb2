package lab

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"outlast/internal/backend"
	"outlast/internal/model"
)

// startTestRegion runs one region on loopback with its proxy on a free port.
func startTestRegion(t *testing.T) *Region {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := ln.Addr().String()
	ln.Close()
	r, err := startRegion(toxiproxyServer(), "test", model.Location{Provider: "aws", Region: "us-east-1"}, "127.0.0.1", proxyAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// TestHealRemovesOnlyWhatIsThere: Heal removes every fault the lab can add
// and treats a fault that was never added (Toxiproxy's ErrToxicNotFound) as
// healed, so healing a healthy region, or healing twice, is no error.
func TestHealRemovesOnlyWhatIsThere(t *testing.T) {
	r := startTestRegion(t)
	if err := r.Heal(); err != nil {
		t.Fatalf("heal of a healthy region: %v", err)
	}
	if err := r.Hang(); err != nil {
		t.Fatal(err)
	}
	if err := r.Latency(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	r.Refuse()
	for i := range 2 {
		if err := r.Heal(); err != nil {
			t.Fatalf("heal %d: %v", i+1, err)
		}
	}
	if toxics := r.proxy.Toxics.GetToxicArray(); len(toxics) != 0 {
		t.Errorf("after Heal the proxy still has %d toxics", len(toxics))
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + r.Addr + "/healthz")
	if err != nil {
		t.Fatalf("the healed region does not answer through its proxy: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the healed region answers %s, want 200", resp.Status)
	}
}

// A CDN region answers only its hostnames, the port aside, as a real CDN
// does: a probe that did not send its target as Host would fail.
func TestOnlyHosts(t *testing.T) {
	h := onlyHosts([]string{"shop.cdn-a.test", "cdn.example.test"}, backend.New("cdn-a"))
	for host, want := range map[string]int{
		"shop.cdn-a.test:8080": http.StatusOK, "CDN.example.test.": http.StatusOK,
		"127.77.1.4:8080": http.StatusMisdirectedRequest, "shop.cdn-b.test": http.StatusMisdirectedRequest,
	} {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}

package backend

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeAnswersOK(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	svc := New("use1")
	go func() { done <- ServeListener(ctx, ln, svc) }()
	for _, path := range []string{"/healthz", "/"} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok\n" || resp.Header.Get("X-Outlast-Backend") != "use1" {
			t.Errorf("GET %s: want 200 \"ok\" from use1, got %d %q from %q", path, resp.StatusCode, body, resp.Header.Get("X-Outlast-Backend"))
		}
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/missing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /missing: want 404, got %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + ln.Addr().String() + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	events, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(events), `"served_by":"use1"`) {
		t.Errorf("GET /v1/events: %d %s", resp.StatusCode, events)
	}

	// A gray failure: every request fails at rate 1, none at rate 0.
	svc.SetErrorRate(1)
	if code := status(t, "http://"+ln.Addr().String()+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("error rate 1: /healthz answered %d, want 503", code)
	}
	svc.SetErrorRate(0)
	if code := status(t, "http://"+ln.Addr().String()+"/healthz"); code != http.StatusOK {
		t.Errorf("error rate 0: /healthz answered %d, want 200", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("clean shutdown expected, got %v", err)
	}
}

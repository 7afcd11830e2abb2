package backend

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
)

func TestServeAnswersOK(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, "use1") }()
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
	cancel()
	if err := <-done; err != nil {
		t.Errorf("clean shutdown expected, got %v", err)
	}
}

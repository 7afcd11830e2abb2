package wire

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientNonJSONError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway from a proxy", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "t").Status(context.Background())
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 502 || apiErr.Message != "bad gateway from a proxy" {
		t.Errorf("proxy error: %#v, want 502 with the proxy's text", err)
	}
}

func TestBaseURL(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1:8080":            "http://127.0.0.1:8080/api/v1/",
		"localhost:8080":            "http://localhost:8080/api/v1/",
		"[::1]:8080":                "http://[::1]:8080/api/v1/",
		"http://node1:8080":         "http://node1:8080/api/v1/",
		"HTTPS://node1:8443/":       "https://node1:8443/api/v1/",
		"https://proxy/outlast?x=1": "https://proxy/outlast/api/v1/",
	}
	for addr, want := range cases {
		u, err := baseURL(addr)
		if err != nil || u.String() != want {
			t.Errorf("baseURL(%q) = %v, %v; want %s", addr, u, err, want)
		}
	}
	for _, addr := range []string{"", "http://", "http://%zz"} {
		if _, err := NewClient(addr, "").Status(context.Background()); err == nil || IsStatus(err, 0) {
			t.Errorf("NewClient(%q): %v, want an address error", addr, err)
		}
	}
}

// TestErrorMatchesItsCode: a refusal is recognised by its code, whatever
// its message says, and by nothing else.
func TestErrorMatchesItsCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":"the configuration changed since you read it","code":"version_conflict"}`))
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "t").ApplyConfig(context.Background(), []byte("x"), 3, "test")
	if !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("409 version_conflict: %v, want errors.Is ErrVersionConflict", err)
	}
	for _, other := range []error{ErrInvalidConfig, ErrUnavailable, ErrNotFound} {
		if errors.Is(err, other) {
			t.Errorf("409 version_conflict matches %v too", other)
		}
	}
	if errors.Is(&Error{Status: 502, Message: "version_conflict"}, ErrVersionConflict) {
		t.Error("an error without a code matched by its message")
	}
}

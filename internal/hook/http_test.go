package hook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server serves h on loopback until the test ends.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		noRedirects.CloseIdleConnections()
	})
	return srv
}

// hanging serves requests that never answer: each waits until its client
// goes away or the test ends.
func hanging(t *testing.T, arrived chan<- struct{}) *httptest.Server {
	stop := make(chan struct{})
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server notice the
		// client hanging up and end r.Context().
		io.Copy(io.Discard, r.Body)
		if arrived != nil {
			arrived <- struct{}{}
		}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	t.Cleanup(func() { close(stop) })
	return srv
}

func TestHTTPSuccess(t *testing.T) {
	type seen struct {
		method, path, query, contentType, key, custom string
		body                                          map[string]any
	}
	got := make(chan seen, 1)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, contentType: r.Header.Get("Content-Type"),
			key: r.Header.Get("Idempotency-Key"), custom: r.Header.Get("X-Token")}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&s.body); err != nil {
			t.Errorf("body: %v", err)
		}
		got <- s
		io.WriteString(w, `{"promoted":true}`)
	})
	spec := Spec{
		URL: srv.URL + "/promote?token=secret",
		Headers: map[string]string{
			"X-Token": "t0k", "Idempotency-Key": "mine", "content-type": "text/plain",
		},
	}
	res := run(t, &Runner{}, spec, promote())
	if res.Err != nil || res.Attempts != 1 || res.Output != `{"promoted":true}` {
		t.Fatalf("got attempts=%d err=%v output=%q, want one success with the response body", res.Attempts, res.Err, res.Output)
	}
	s := <-got
	if s.method != "POST" || s.path != "/promote" || s.query != "token=secret" || s.contentType != "application/json" ||
		s.key != "payments/on_promote/7" || s.custom != "t0k" {
		t.Errorf("request %+v, want POST /promote?token=secret, JSON, key payments/on_promote/7, X-Token t0k", s)
	}
	want := map[string]any{
		"hook": "on_promote", "service": "payments", "endpoint": "gcp-usc1", "epoch": float64(7),
		"old_primary": "aws-use1", "reason": "aws-use1 down by quorum", "who": "auto",
	}
	if len(s.body) != len(want) {
		t.Errorf("body %v, want %v", s.body, want)
	}
	for k, v := range want {
		if s.body[k] != v {
			t.Errorf("body[%s] = %v, want %v", k, s.body[k], v)
		}
	}
}

func TestHTTPServerErrorRetried(t *testing.T) {
	var calls atomic.Int32
	keys := make(chan string, 3)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		if calls.Add(1) < 3 {
			http.Error(w, "replica not ready", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "promoted")
	})
	res := run(t, &Runner{Backoff: fast}, Spec{URL: srv.URL, Retries: 4}, promote())
	if res.Err != nil || res.Attempts != 3 || res.Output != "promoted" {
		t.Fatalf("got attempts=%d err=%v output=%q, want success on attempt 3", res.Attempts, res.Err, res.Output)
	}
	for range 3 {
		if k := <-keys; k != "payments/on_promote/7" {
			t.Errorf("a retry carried Idempotency-Key %q, want the same key on every attempt", k)
		}
	}

	calls.Store(-10)
	res = run(t, &Runner{Backoff: fast}, Spec{URL: srv.URL, Method: "put", Retries: 1}, promote())
	wantErr(t, res, ErrFailed, "HTTP 500 Internal Server Error", "PUT "+srv.URL, "gcp-usc1")
	if res.Attempts != 2 || res.Output != "replica not ready\n" {
		t.Errorf("attempts=%d output=%q, want 2 attempts and the last body", res.Attempts, res.Output)
	}
}

func TestHTTPRedirectNotFollowed(t *testing.T) {
	var followed atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/elsewhere?sig=secret", http.StatusFound)
	})
	res := run(t, &Runner{Backoff: fast}, Spec{URL: srv.URL + "/promote"}, promote())
	wantErr(t, res, ErrFailed, "HTTP 302 Found", "not followed", srv.URL+"/elsewhere")
	if followed.Load() != 0 {
		t.Errorf("the redirect was followed")
	}
	if strings.Contains(res.Err.Error(), "secret") {
		t.Errorf("Err %q shows the redirect's query string", res.Err)
	}
}

func TestHTTPBodyBounded(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("é", 1000))
		for range 1000 { // 2 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	res := run(t, &Runner{}, Spec{URL: srv.URL}, promote())
	if res.Err != nil {
		t.Fatalf("Err = %v, want success", res.Err)
	}
	if len(res.Output) > MaxOutput || !strings.HasSuffix(res.Output, truncated) || !strings.HasPrefix(res.Output, "éé") {
		t.Errorf("output is %d bytes, want at most %d ending %q", len(res.Output), MaxOutput, truncated)
	}
	if !strings.HasSuffix(strings.TrimSuffix(res.Output, truncated), "é") {
		t.Errorf("output was cut inside a character: %q", res.Output[len(res.Output)-30:])
	}
}

func TestHTTPTimeout(t *testing.T) {
	srv := hanging(t, nil)
	res := run(t, &Runner{Backoff: fast}, Spec{URL: srv.URL, Timeout: 200 * time.Millisecond, Retries: 1}, promote())
	wantErr(t, res, ErrTimeout, "timed out after 200ms")
	if res.Attempts != 2 {
		t.Errorf("attempts=%d, want 2: a timeout is retried", res.Attempts)
	}
}

func TestHTTPCancelStopsAttempt(t *testing.T) {
	arrived := make(chan struct{}, 4)
	srv := hanging(t, arrived)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	res := (&Runner{Backoff: fast}).Run(ctx, Spec{URL: srv.URL, Retries: 3}, promote())
	t.Logf("attempts=%d err=%v", res.Attempts, res.Err)
	wantErr(t, res, ErrCancelled, "context canceled")
	if took := time.Since(start); took > bound || res.Attempts != 1 {
		t.Errorf("Run took %s and %d attempts after cancel, want it to return at once after 1", took, res.Attempts)
	}
}

// Cancelling while Run waits between attempts stops it there.
func TestCancelDuringBackoff(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Backoff: func(int) time.Duration { cancel(); return time.Hour }}
	res := r.Run(ctx, Spec{URL: srv.URL, Retries: 3}, promote())
	wantErr(t, res, ErrCancelled, "HTTP 503", "after attempt 1")
	if res.Attempts != 1 {
		t.Errorf("attempts=%d, want 1", res.Attempts)
	}
}

func TestCancelledBeforeFirstAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := (&Runner{}).Run(ctx, Spec{URL: "http://127.0.0.1:1/"}, promote())
	wantErr(t, res, ErrCancelled, "before attempt 1")
	if res.Attempts != 0 {
		t.Errorf("attempts=%d, want 0", res.Attempts)
	}
}

func TestInvalidSpecRefused(t *testing.T) {
	for _, s := range []Spec{
		{},
		{Exec: []string{"x"}, URL: "http://127.0.0.1/"},
		{URL: "ftp://example.com/x"},
		{URL: "/relative"},
		{URL: "http://127.0.0.1/", Method: "BAD METHOD"},
	} {
		res := run(t, &Runner{Dir: t.TempDir(), Backoff: fast}, Spec{Exec: s.Exec, URL: s.URL, Method: s.Method, Retries: 2}, promote())
		wantErr(t, res, ErrSpec)
		if res.Attempts != 1 {
			t.Errorf("%+v: attempts=%d, want 1: an invalid hook is not retried", s, res.Attempts)
		}
	}
}

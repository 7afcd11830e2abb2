// Package backend is the sample HTTP service used to try outlast out: a tiny
// "doorbell API" that answers 200 "ok" on /healthz and /, and a list of
// recent events on /v1/events. Every answer names the instance that gave it
// (X-Outlast-Backend), so a quickstart, a test or the demo can see where
// traffic went. The demo lab can make it fail a share of its requests, the
// way a gray failure does.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Service is one instance of the sample service.
type Service struct {
	name string
	// errorRate is the share of requests answered 503, in millionths.
	errorRate atomic.Int64
	mux       *http.ServeMux
}

// New returns an instance that names itself name.
func New(name string) *Service {
	s := &Service{name: name, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.ok)
	s.mux.HandleFunc("GET /{$}", s.ok)
	s.mux.HandleFunc("GET /v1/events", s.events)
	return s
}

// Handler serves the sample endpoints as instance name.
func Handler(name string) http.Handler { return New(name) }

// SetErrorRate makes the instance answer a share (0 to 1) of its requests
// with 503, health checks included, chosen at random per request.
func (s *Service) SetErrorRate(share float64) {
	s.errorRate.Store(int64(min(max(share, 0), 1) * 1e6))
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Outlast-Backend", s.name)
	if rate := s.errorRate.Load(); rate > 0 && rand.Int64N(1e6) < rate {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Service) ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// events answers what a doorbell camera's app asks for: the latest events.
func (s *Service) events(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	now := time.Now().UTC().Truncate(time.Second)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"served_by": s.name,
		"events": []map[string]any{
			{"kind": "motion", "at": now.Add(-90 * time.Second)},
			{"kind": "ring", "at": now.Add(-40 * time.Second)},
		},
	})
}

// Serve runs the sample service on addr until ctx is done.
func Serve(ctx context.Context, addr, name string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	return ServeListener(ctx, ln, New(name))
}

// ServeListener runs h on ln until ctx is done.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("backend: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdownCtx)
		if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
			return fmt.Errorf("backend: %w", serveErr)
		}
		return err
	}
}

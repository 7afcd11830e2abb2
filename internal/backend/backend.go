// Package backend is the sample HTTP service used to try outlast out: it
// answers 200 "ok" on /healthz and / and says which instance answered, so a
// quickstart, a test or the demo can see where traffic went.
package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Handler serves the sample endpoints. name identifies this instance in the
// X-Outlast-Backend header so a client can tell which region answered.
func Handler(name string) http.Handler {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Outlast-Backend", name)
		fmt.Fprintln(w, "ok")
	}
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /{$}", ok)
	return mux
}

// Serve runs the sample service on addr until ctx is done.
func Serve(ctx context.Context, addr, name string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	return ServeListener(ctx, ln, name)
}

// ServeListener runs the sample service on ln until ctx is done.
func ServeListener(ctx context.Context, ln net.Listener, name string) error {
	srv := &http.Server{Handler: Handler(name), ReadHeaderTimeout: 5 * time.Second}
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

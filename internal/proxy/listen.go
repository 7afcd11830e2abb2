package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"outlast/internal/conncap"
	"outlast/internal/httpguard"
	"outlast/internal/tlsca"
)

// Listeners say where the proxy listens. Either may be empty.
type Listeners struct {
	// Plain is the address of the plain-HTTP listener.
	Plain string
	// TLS is the address of the HTTPS listener (HTTP/1.1 and HTTP/2),
	// serving Certs.
	TLS   string
	Certs *tlsca.Reloader
	// Limits bound each listener's clients (httpguard). A ReadTimeout or
	// WriteTimeout left zero is StreamTimeout, not httpguard's default.
	Limits httpguard.Limits
}

// Server runs the proxy's listeners.
type Server struct {
	srvs   []*http.Server
	lns    []net.Listener
	capped []*conncap.Listener
	tls    []bool
}

// StreamTimeout bounds a whole proxied request and its response: bodies
// stream for as long as they take (uploads, server-sent events,
// WebSockets), so only a stuck connection meets it. The per-client
// connection cap bounds what a slow client holds meanwhile, and headers
// still have httpguard's ReadHeaderTimeout.
const StreamTimeout = 24 * time.Hour

// Listen binds the listeners of l for h. Nothing is served until Serve.
func Listen(h http.Handler, l Listeners, logger *slog.Logger) (*Server, error) {
	s := &Server{}
	if l.Limits.ReadTimeout == 0 {
		l.Limits.ReadTimeout = StreamTimeout
	}
	if l.Limits.WriteTimeout == 0 {
		l.Limits.WriteTimeout = StreamTimeout
	}
	for _, ln := range []struct {
		addr string
		tls  bool
	}{{l.Plain, false}, {l.TLS, true}} {
		if ln.addr == "" {
			continue
		}
		if ln.tls && l.Certs == nil {
			s.close()
			return nil, fmt.Errorf("proxy: https listener %s has no certificate", ln.addr)
		}
		raw, err := net.Listen("tcp", ln.addr)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("proxy: %w", err)
		}
		capped := httpguard.NewListener(raw, l.Limits, httpguard.Options{Plain: !ln.tls})
		srv := httpguard.NewServer(h, l.Limits, logger)
		if ln.tls {
			srv.TLSConfig = l.Certs.HTTPSConfig()
		}
		s.srvs, s.lns, s.capped, s.tls = append(s.srvs, srv), append(s.lns, capped), append(s.capped, capped), append(s.tls, ln.tls)
	}
	return s, nil
}

// Addrs are the bound addresses: the plain one first, when there is one.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.lns))
	for i, ln := range s.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Serve serves every listener until Shutdown; it returns at once.
func (s *Server) Serve(logger *slog.Logger) {
	for i, srv := range s.srvs {
		go func() {
			var err error
			if s.tls[i] {
				err = srv.ServeTLS(s.lns[i], "", "") // "" and "": the certificate comes from TLSConfig
			} else {
				err = srv.Serve(s.lns[i])
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("proxy listener stopped", "addr", s.lns[i].Addr(), "err", err)
			}
		}()
	}
}

// Stats are the connection caps' counters of each listener.
func (s *Server) Stats() []conncap.Stats {
	out := make([]conncap.Stats, len(s.capped))
	for i, c := range s.capped {
		out[i] = c.Stats()
	}
	return out
}

// Shutdown stops accepting, lets the requests in flight finish until ctx
// ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err, srv.Close())
		}
	}
	return errors.Join(errs...)
}

func (s *Server) close() {
	for _, ln := range s.lns {
		ln.Close()
	}
}

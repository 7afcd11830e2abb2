// Package httpguard bounds what one client can hold of a node's HTTP
// listener: time (header, body, response and idle timeouts), memory (header
// size), file descriptors (conncap's caps per client address and in all,
// with a 503 that says why on plain HTTP) and the log (server errors
// sampled, not one line each). It also refuses requests whose Host header
// names a host the node was not told it serves, which keeps DNS rebinding
// pages away from the status page and the API.
//
// A node's HTTP port shares the process's open-file limit with its probes,
// Raft and DNS over TCP. Without these bounds, 2,000 idle connections that
// sent one GET each exhausted that limit, every probe failed with "too many
// open files" and the node voted every endpoint down. The caps keep the
// HTTP side to a fixed share of the limit; the timeouts return what a slow
// or silent client holds.
//
// Wiring, in that order: wrap the raw TCP listener with NewListener (under
// TLS, if any), serve it with the *http.Server of NewServer, and put
// CheckHost in front of the handler.
package httpguard

import (
	"log/slog"
	"net/http"
	"time"

	"outlast/internal/conncap"
)

// Limits bounds one HTTP listener. The zero value of a field means its
// default; DefaultLimits returns them all filled in.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers, and a TLS
	// handshake (default 5s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body (default
	// 10s). The largest body is a 1 MiB configuration file
	// (config.MaxFileSize), which needs 0.8 Mbit/s to arrive in time; a
	// typical file of tens of KB needs only tens of kbit/s. A client
	// sending 1 byte a second is cut off here.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the response (default 30s). It must cover the slowest
	// handler plus the largest body: a configuration apply waits up to 12 s
	// (10 s to commit, 2 s to apply locally), and a /metrics scrape of
	// 10,000 endpoints is about 10 MB (0.3 s of CPU, 8 s at 10 Mbit/s).
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next
	// request before the server closes it (default 30s): long enough that
	// a Prometheus scraping every 15 s keeps its connection, short enough
	// that a client which went away returns its descriptor soon.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block (default 64 KiB).
	// Headers here are a bearer token and a browser's cookies; browsers
	// send every cookie set for localhost, whatever the port, hence not less.
	MaxHeaderBytes int
	// PerClient and Total cap the listener's connections per client and in
	// all (defaults: conncap's, 64 and 1024 or a quarter of the open-file
	// limit). They keep most descriptors for probes, Raft and DNS whatever
	// the HTTP side is sent.
	PerClient, Total int
}

// Default limits; see the fields of Limits for why.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
)

// DefaultLimits returns the defaults, Total bounded by the open-file limit.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

// withDefaults fills in every zero field.
func (l Limits) withDefaults() Limits {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&l.ReadTimeout, DefaultReadTimeout)
	set(&l.WriteTimeout, DefaultWriteTimeout)
	set(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	caps := conncap.Caps{PerClient: l.PerClient, Total: l.Total}.WithDefaults()
	l.PerClient, l.Total = caps.PerClient, caps.Total
	return l
}

// NewServer returns a server for h with every timeout and size of l set
// (zero fields take their defaults) and an error log that writes to logger
// at most a few lines a second, counting the ones it drops: a scanner's
// failed TLS handshakes otherwise log a line each. Serve it on a listener
// from NewListener.
func NewServer(h http.Handler, l Limits, logger *slog.Logger) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          newErrorLog(logger),
	}
}

package httpguard

import (
	"fmt"
	"net"

	"outlast/internal/conncap"
)

// Options tune NewListener.
type Options struct {
	// Plain says the listener carries plain HTTP (no TLS above it), so a
	// refused connection is first told why with a short 503 response. Under
	// TLS a refused connection is closed without a word: plain text there
	// would only be a handshake error.
	Plain bool
	// OnRefuse, if set, is called (from Accept, so it must not block) for
	// every refused connection, e.g. to count it in a metric.
	OnRefuse func(conncap.Reason, net.Addr)
}

// NewListener wraps ln, a raw TCP listener (put TLS above it, not below),
// with the connection caps of l; zero caps take their defaults.
func NewListener(ln net.Listener, l Limits, o Options) *conncap.Listener {
	opts := conncap.Options{OnRefuse: o.OnRefuse}
	if o.Plain {
		opts.Refusal = refusal
	}
	return conncap.New(ln, conncap.Caps{PerClient: l.PerClient, Total: l.Total}, opts)
}

// refusal is the 503 a refused plain-HTTP connection reads.
func refusal(reason conncap.Reason, caps conncap.Caps) []byte {
	msg := fmt.Sprintf("too many connections to this node (%d in all); retry in a few seconds\n", caps.Total)
	if reason == conncap.ReasonPerClient {
		msg = fmt.Sprintf("too many connections from your address (at most %d at once); close idle ones and retry\n", caps.PerClient)
	}
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
}

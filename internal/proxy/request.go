package proxy

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
)

func contextWith(r *http.Request, rq *request) context.Context {
	return context.WithValue(r.Context(), requestKey{}, rq)
}

// clientAddr is the address the request came from, IPv4 unmapped.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// recorder keeps the status a handler sent, for the log and metrics. It
// unwraps, so flushing and hijacking (WebSocket upgrades) reach the
// connection through http.ResponseController.
type recorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, code >= 200 || code == http.StatusSwitchingProtocols
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// buffers lends ReverseProxy the buffers it copies response bodies
// through: without them it makes a 32 KiB buffer per request, most of
// what a proxied request allocated (BenchmarkProxyGet).
type buffers struct{}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (buffers) Get() []byte { return *bufferPool.Get().(*[]byte) }

func (buffers) Put(b []byte) { bufferPool.Put(&b) }

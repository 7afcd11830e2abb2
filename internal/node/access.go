package node

import (
	"net/http"
	"sync/atomic"

	"outlast/internal/api"
	"outlast/internal/config"
	"outlast/internal/statuspage"
)

// access is who may use the node's API and status page, with the handlers
// built for it. A reload that changes the api section builds a new one and
// swaps it in, so a removed token is refused from the next request on.
type access struct {
	cfg  config.API
	api  http.Handler
	page http.Handler
}

func (n *Node) newAccess(cfg config.API) *access {
	return &access{cfg: cfg, api: api.New(n, cfg, n.opts.Logger),
		page: api.Protect(cfg, statuspage.New(n, n.opts.Logger))}
}

// protect puts the API's read rule in front of h.
func (a *access) protect(h http.Handler) http.Handler { return api.Protect(a.cfg, h) }

// accessPointer holds the access in force.
type accessPointer struct{ atomic.Pointer[access] }

// handler serves each request with the handler pick chooses from the
// access in force when the request arrives.
func (p *accessPointer) handler(pick func(*access) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pick(p.Load()).ServeHTTP(w, r) })
}

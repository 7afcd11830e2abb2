package node

import (
	"net/http"
	"reflect"

	"outlast/internal/api"
	"outlast/internal/config"
	"outlast/internal/statuspage"
)

// access is who may use the node's API and status page.
// A reload that changes the api section swaps the tokens in force at once
// (api.Handler.SetAuth), so a removed token is refused from the next request
// on, and a browser session started with it ends there too.
type access struct {
	api  *api.Handler
	page http.Handler
	cfg  config.API // in force; only Reload, on one goroutine, reads and writes it
}

func (n *Node) newAccess(cfg config.API) *access {
	h := api.New(n, cfg, n.opts.Logger)
	// The page (and its login for browsers) answers "/" and everything the
	// mux does not route elsewhere, /login and /logout included.
	page := h.ProtectPage(statuspage.New(n, n.opts.Logger), statuspage.LoginPage(n, n.opts.Logger))
	return &access{api: h, page: page, cfg: cfg}
}

// reload makes cfg the access in force and reports whether it changed.
func (a *access) reload(cfg config.API) bool {
	if reflect.DeepEqual(a.cfg, cfg) {
		return false
	}
	a.api.SetAuth(cfg)
	a.cfg = cfg
	return true
}

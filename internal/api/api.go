package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"outlast/internal/config"
	"outlast/internal/wire"
)

// Limits on what a request may carry. Every body is read through
// http.MaxBytesReader with one of these; a larger one is refused with 413
// before more of it is read.
const (
	maxJSONBody   = 64 << 10           // an override request is a few hundred bytes
	maxConfigBody = config.MaxFileSize // what config.Parse accepts at all
	maxLoginBody  = 4 << 10            // a login or logout form; a token is 30 bytes
	// proposeTimeout bounds one write: forwarding to the leader and commit.
	proposeTimeout = 10 * time.Second
)

// Handler is the API of one node. Its routes are fixed; who may use them
// is not: SetAuth swaps the tokens, and every request checks the ones in
// force when it arrives.
type Handler struct {
	b    Backend
	auth atomic.Pointer[auth]
	log  *slog.Logger
	mux  *http.ServeMux
}

// route is one path with a handler per method and the scope each needs.
type route struct {
	path    string
	methods []method
}

type method struct {
	name  string
	scope config.Scope
	fn    http.HandlerFunc
}

// New returns the API of the node b describes, serving every route under
// Prefix; mount it there (or at "/"). cfg says who may use it until the
// next SetAuth.
func New(b Backend, cfg config.API, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{b: b, log: logger.With("component", "api")}
	h.auth.Store(newAuth(cfg))
	mux := http.NewServeMux()
	for _, rt := range h.routes() {
		allowed := make([]string, 0, len(rt.methods))
		for _, m := range rt.methods {
			mux.Handle(m.name+" "+rt.path, require(h.auth.Load, m.scope, m.fn))
			allowed = append(allowed, m.name)
		}
		// Without a method the pattern only catches what the others do not.
		mux.Handle(rt.path, methodNotAllowed(allowed))
	}
	mux.HandleFunc(wire.Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no API route "+r.URL.Path)
	})
	h.mux = mux
	return h
}

// ServeHTTP serves the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// SetAuth makes cfg's tokens and public_status the ones in force, at once
// and for every route, including what h.Protect guards: a token removed
// from cfg is refused from the next request on. Call it when a reloaded
// configuration changes the api section.
func (h *Handler) SetAuth(cfg config.API) { h.auth.Store(newAuth(cfg)) }

func (h *Handler) routes() []route {
	read, admin := config.ScopeRead, config.ScopeAdmin
	return []route{
		{wire.Prefix + "status", []method{{"GET", read, h.status}}},
		{wire.Prefix + "services", []method{{"GET", read, h.services}}},
		{wire.Prefix + "services/{name}", []method{{"GET", read, h.service}}},
		{wire.Prefix + "answers", []method{{"GET", read, h.answers}}},
		{wire.Prefix + "overrides", []method{{"GET", read, h.overrides}, {"POST", admin, h.setOverride}}},
		{wire.Prefix + "overrides/{endpoint}", []method{{"DELETE", admin, h.clearOverride}}},
		{wire.Prefix + "events", []method{{"GET", read, h.events}}},
		{wire.Prefix + "primaries", []method{{"GET", read, h.primaries}, {"POST", admin, h.setPrimary}}},
		{wire.Prefix + "zones", []method{{"GET", read, h.zones}}},
		{wire.Prefix + "gates/{name}", []method{{"POST", admin, h.setGate}}},
		{wire.Prefix + "config", []method{{"GET", read, h.config}}},
		{wire.Prefix + "config/validate", []method{{"POST", read, h.validate}}},
		{wire.Prefix + "config/apply", []method{{"POST", admin, h.apply}}},
		{wire.Prefix + "backup", []method{{"GET", admin, h.backup}}},
		{wire.Prefix + "restore", []method{{"POST", admin, h.restore}}},
	}
}

func methodNotAllowed(allowed []string) http.Handler {
	if slices.Contains(allowed, "GET") {
		allowed = append(allowed, "HEAD")
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, r.Method+" is not allowed here; use "+allow)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do about it
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, wire.ErrorBody{Error: msg, Code: code})
}

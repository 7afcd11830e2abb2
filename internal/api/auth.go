package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"outlast/internal/config"
	"outlast/internal/wire"
)

// Anonymous is the caller's name on a public read without a token.
const Anonymous = "anonymous"

// caller is who a request comes from.
type caller struct {
	name  string
	scope config.Scope
}

type callerKey struct{}

// callerOf returns the caller auth admitted; handlers behind auth always have one.
func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// auth checks bearer tokens against the configured hashes.
type auth struct {
	tokens []tokenHash
	public bool
}

type tokenHash struct {
	name  string
	scope config.Scope
	sum   []byte // hex SHA-256, lower case
}

func newAuth(cfg config.API) *auth {
	a := &auth{public: cfg.PublicStatus}
	for _, t := range cfg.Tokens {
		a.tokens = append(a.tokens, tokenHash{name: t.Name, scope: t.Scope, sum: []byte(strings.ToLower(t.SHA256))})
	}
	return a
}

// lookup finds the token's entry. Every configured hash is compared in
// constant time, whichever matches, so timing tells nothing about them.
func (a *auth) lookup(token string) (caller, bool) {
	t, ok := a.find(token)
	return caller{name: t.name, scope: t.scope}, ok
}

// find is lookup returning the whole entry, its hash included.
func (a *auth) find(token string) (tokenHash, bool) {
	sum := sha256.Sum256([]byte(token))
	presented := []byte(hex.EncodeToString(sum[:]))
	var found tokenHash
	ok := false
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(presented, t.sum) == 1 {
			found, ok = t, true
		}
	}
	return found, ok
}

// holds reports whether the token a session was started with is still in
// force: the same name with the same hash. A session is no stronger than
// its token: removing or replacing the token ends it.
func (a *auth) holds(s session) bool {
	for _, t := range a.tokens {
		if t.name == s.name && string(t.sum) == s.sum {
			return true
		}
	}
	return false
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) (token string, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(token), true
}

// check decides whether r may use a route needing scope: a read needs
// read or admin (or nothing for a GET when the status is public), a write
// needs admin. A token that is presented but unknown is refused even on a
// public read, so an operator with a mistyped token learns of it before
// their first write. On refusal it returns the answer to give.
func (a *auth) check(r *http.Request, scope config.Scope) (c caller, status int, code, msg string) {
	token, present := bearer(r)
	if !present {
		if scope == config.ScopeRead && a.public && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			return caller{name: Anonymous}, 0, "", ""
		}
		return c, http.StatusUnauthorized, wire.CodeUnauthorized, "this needs a bearer token (Authorization: Bearer TOKEN)"
	}
	c, ok := a.lookup(token)
	if !ok {
		return c, http.StatusUnauthorized, wire.CodeUnauthorized, "the bearer token is not one this node knows"
	}
	if scope == config.ScopeAdmin && c.scope != config.ScopeAdmin {
		return c, http.StatusForbidden, wire.CodeForbidden, "token " + c.name + " has scope " + string(c.scope) + "; this needs admin"
	}
	return c, 0, "", ""
}

// require admits the requests that the auth current at their arrival
// admits for scope (see check) and answers the others.
func require(current func() *auth, scope config.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, status, code, msg := current().check(r, scope)
		switch status {
		case 0:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
		case http.StatusUnauthorized:
			unauthorized(w, msg)
		default:
			writeError(w, status, code, msg)
		}
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="outlast"`)
	writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, msg)
}

// Protect puts the API's read access rule, as the last SetAuth left it,
// in front of next: for the status page and anything else on the node's
// listener that shows what the API's reads show.
func (h *Handler) Protect(next http.Handler) http.Handler {
	return require(h.auth.Load, config.ScopeRead, next)
}

// CanRead reports whether r may see what a read shows: it carries a read
// or admin token in force, or it carries none and the status is public.
// It is for a handler that must answer everyone, such as /healthz for load
// balancers, but shows details only to readers.
func (h *Handler) CanRead(r *http.Request) bool {
	_, status, _, _ := h.auth.Load().check(r, config.ScopeRead)
	return status == 0
}

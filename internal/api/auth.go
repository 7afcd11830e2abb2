package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"outlast/internal/config"
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
	sum := sha256.Sum256([]byte(token))
	presented := []byte(hex.EncodeToString(sum[:]))
	var found caller
	ok := false
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(presented, t.sum) == 1 {
			found, ok = caller{name: t.name, scope: t.scope}, true
		}
	}
	return found, ok
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

// require admits requests whose token has the scope: a read needs read or
// admin (or nothing for a GET when the status is public), a write needs
// admin. A
// token that is presented but unknown is refused even on a public read, so
// an operator with a mistyped token learns of it before their first write.
func (a *auth) require(scope config.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, present := bearer(r)
		if !present {
			if scope == config.ScopeRead && a.public && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{name: Anonymous})))
				return
			}
			unauthorized(w, "this needs a bearer token (Authorization: Bearer TOKEN)")
			return
		}
		c, ok := a.lookup(token)
		if !ok {
			unauthorized(w, "the bearer token is not one this node knows")
			return
		}
		if scope == config.ScopeAdmin && c.scope != config.ScopeAdmin {
			writeError(w, http.StatusForbidden, CodeForbidden, "token "+c.name+" has scope "+string(c.scope)+"; this needs admin")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="outlast"`)
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, msg)
}

// Protect puts the API's read access rule in front of h: a read or admin
// token, or none when cfg.PublicStatus is set. It is for the status page,
// which applies no authentication of its own.
func Protect(cfg config.API, h http.Handler) http.Handler {
	return newAuth(cfg).require(config.ScopeRead, h)
}

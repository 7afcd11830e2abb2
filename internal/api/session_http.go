package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/wire"
)

// The login's routes and form fields, beside the page's own routes.
const (
	// LoginPath shows the login form (GET) and takes a token (POST).
	LoginPath = "/login"
	// LogoutPath ends the session (POST, with the session's CSRFField).
	LogoutPath = "/logout"
	// TokenField is the login form's field holding the token.
	TokenField = "token"
	// CSRFField is the logout form's field holding Session.CSRF.
	CSRFField = "csrf"

	// cookieName is the session cookie's name, followed by the port the
	// browser reached the node on: browsers share cookies across the ports
	// of one host, and nodes side by side on one machine keep a login each.
	cookieName = "outlast_session"
)

// LoginForm is what a login page shows.
type LoginForm struct {
	// Status is the HTTP status to answer with: 200 when asked for the
	// form, 401 in place of a page that needs a login or after a wrong
	// token, 429 after too many, 400 or 413 for a form that cannot be read.
	Status int
	// Problem says why the last attempt failed, for the person at the
	// browser; "" when there was none.
	Problem string
	// Action is where the form posts TokenField: LoginPath relative to the
	// URL the form is shown at, so it works under a proxy's prefix too.
	Action string
}

// LoginPage writes a login page for form.
type LoginPage func(w http.ResponseWriter, r *http.Request, form LoginForm)

// Session is the browser session a page request came with.
type Session struct {
	// Name is the name of the token the login presented.
	Name string
	// Expires is when the session ends (SessionLifetime after the login).
	Expires time.Time
	// CSRF is the session's token for the logout form: post it as CSRFField.
	CSRF string
	// Logout is LogoutPath relative to the URL of the page shown.
	Logout string
}

type sessionCtxKey struct{}

// SessionOf returns the session r was admitted with by a ProtectPage
// handler; false when r came with a bearer token, on a public page, or
// not through ProtectPage.
func SessionOf(r *http.Request) (Session, bool) {
	s, ok := r.Context().Value(sessionCtxKey{}).(Session)
	return s, ok
}

// ProtectPage is Protect for pages a person opens in a browser. It admits
// what Protect admits and, besides, a GET or HEAD that carries the cookie
// of a login (see SessionOf). It serves LoginPath and LogoutPath itself
// and shows the form to a browser (a GET asking for text/html) it would
// otherwise refuse; anything else it refuses as Protect does, with the JSON
// error. Build it once: it holds the sessions.
//
// The cookie is honoured here only, never by the JSON API under
// wire.Prefix, which keeps bearer tokens: a cookie rides along with
// requests other sites make, and the API has writes. The page's script
// fetches only the page's own fragment route (statuspage.FragmentPath),
// which this guards, so the cookie needs no API route at all, and it
// grants read whatever the token's scope.
func (h *Handler) ProtectPage(page http.Handler, form LoginPage) http.Handler {
	return newPageGuard(h, page, form, time.Now)
}

type pageGuard struct {
	h      *Handler
	page   http.Handler
	form   LoginPage
	store  *sessions
	tries  *attempts
	origin *http.CrossOriginProtection
	now    func() time.Time
}

func newPageGuard(h *Handler, page http.Handler, form LoginPage, now func() time.Time) *pageGuard {
	return &pageGuard{h: h, page: page, form: form, now: now,
		store:  newSessions(MaxSessions, SessionLifetime),
		tries:  newAttempts(loginBurst, loginRefill, maxLoginClients),
		origin: http.NewCrossOriginProtection(),
	}
}

func (g *pageGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case LoginPath:
		g.serveLogin(w, r)
	case LogoutPath:
		g.serveLogout(w, r)
	default:
		g.serveGuarded(w, r)
	}
}

// serveGuarded serves the page to a session, a bearer token or the public,
// and the login form to a browser that has none of them.
func (g *pageGuard) serveGuarded(w http.ResponseWriter, r *http.Request) {
	if _, present := bearer(r); !present {
		a := g.h.auth.Load()
		if s, ok := g.session(w, r, a); ok && readOnly(r) {
			g.page.ServeHTTP(w, r.WithContext(withSession(r, s)))
			return
		}
		if !a.public && wantsForm(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="outlast"`)
			g.showForm(w, r, http.StatusUnauthorized, "")
			return
		}
	}
	require(g.h.auth.Load, config.ScopeRead, g.page).ServeHTTP(w, r)
}

// withSession is r's context with the session's caller (read scope, named
// after its token) and the Session for the page.
func withSession(r *http.Request, s session) context.Context {
	ctx := context.WithValue(r.Context(), callerKey{}, caller{name: s.name, scope: config.ScopeRead})
	return context.WithValue(ctx, sessionCtxKey{}, Session{Name: s.name, Expires: s.expires, CSRF: s.csrf,
		Logout: relative(r.URL.Path, LogoutPath)})
}

// session returns the live session r's cookie stands for. A cookie that
// stands for none (expired, logged out, its token revoked) is cleared.
func (g *pageGuard) session(w http.ResponseWriter, r *http.Request, a *auth) (session, bool) {
	c, err := r.Cookie(cookieNameOf(r))
	if err != nil {
		return session{}, false
	}
	s, ok := g.store.get(g.now(), c.Value, a.holds)
	if !ok {
		http.SetCookie(w, clearCookie(r))
	}
	return s, ok
}

func (g *pageGuard) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if _, ok := g.session(w, r, g.h.auth.Load()); ok {
			seeOther(w, "./")
			return
		}
		g.showForm(w, r, http.StatusOK, "")
	case http.MethodPost:
		g.login(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, r.Method+" is not allowed here; use GET, HEAD, POST")
	}
}

// login checks a posted token and, if it is one in force, starts a session.
// Each attempt spends one of the client's (see attempts) before the token
// is looked at; the lookup is the bearer check's, constant time over every
// configured hash.
func (g *pageGuard) login(w http.ResponseWriter, r *http.Request) {
	if err := g.origin.Check(r); err != nil {
		g.showForm(w, r, http.StatusForbidden, "This login came from another site. Open this node's page yourself and log in there.")
		return
	}
	client, now := clientOf(r.RemoteAddr), g.now()
	if ok, wait := g.tries.take(now, client); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		g.showForm(w, r, http.StatusTooManyRequests, fmt.Sprintf("Too many attempts from your address; try again in %d s.", secs))
		return
	}
	token, status, problem := readForm(w, r)
	if status != 0 {
		g.tries.giveBack(client) // not a guess
		g.showForm(w, r, status, problem)
		return
	}
	t, ok := g.h.auth.Load().find(token)
	if !ok {
		// At most loginBurst, then one per loginRefill, per client.
		g.h.log.Warn("login refused: the token is not one this node knows", "client", r.RemoteAddr)
		g.showForm(w, r, http.StatusUnauthorized, "That token is not one this node knows. Check it, or ask for one with read scope.")
		return
	}
	g.tries.giveBack(client)
	if old, err := r.Cookie(cookieNameOf(r)); err == nil {
		g.store.remove(old.Value) // a new login never reuses an id
	}
	id, s := g.store.add(now, t.name, string(t.sum))
	http.SetCookie(w, sessionCookie(r, id))
	g.h.log.Info("login", "token", t.name, "client", r.RemoteAddr, "until", s.expires.UTC().Format(time.RFC3339))
	seeOther(w, "./")
}

// readForm reads a login form, bounded to maxLoginBody. It reads the body
// only: a token in the URL would end up in logs and histories.
func readForm(w http.ResponseWriter, r *http.Request) (token string, status int, problem string) {
	if err := parseBounded(w, r); err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return "", http.StatusRequestEntityTooLarge, fmt.Sprintf("The form was over %d KiB; a token is a few dozen characters.", maxLoginBody>>10)
		}
		return "", http.StatusBadRequest, "The form could not be read: " + err.Error()
	}
	token = strings.TrimSpace(r.PostForm.Get(TokenField)) // pasted tokens bring a newline
	if token == "" {
		return "", http.StatusBadRequest, "Enter a token."
	}
	return token, 0, ""
}

// parseBounded parses r's form (application/x-www-form-urlencoded; other
// bodies leave PostForm empty) from at most maxLoginBody bytes.
func parseBounded(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	return r.ParseForm()
}

// serveLogout ends the session whose CSRF token the form carries and
// clears the cookie. SameSite=Strict keeps the cookie off other sites'
// requests already; the origin check and the per-session token hold even
// where a browser does not honour it.
func (g *pageGuard) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, r.Method+" is not allowed here; use POST")
		return
	}
	if err := g.origin.Check(r); err != nil {
		writeError(w, http.StatusForbidden, wire.CodeForbidden, "a logout from another site is refused")
		return
	}
	s, ok := g.session(w, r, g.h.auth.Load())
	if ok {
		_ = parseBounded(w, r) // an unreadable form has no CSRF field and is refused below
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(CSRFField)), []byte(s.csrf)) != 1 {
			writeError(w, http.StatusForbidden, wire.CodeForbidden, "the logout form's "+CSRFField+" field is not this session's; reload the page and log out again")
			return
		}
		c, _ := r.Cookie(cookieNameOf(r))
		g.store.remove(c.Value)
		g.h.log.Info("logout", "token", s.name, "client", r.RemoteAddr)
	}
	http.SetCookie(w, clearCookie(r))
	seeOther(w, strings.TrimPrefix(LoginPath, "/"))
}

func (g *pageGuard) showForm(w http.ResponseWriter, r *http.Request, status int, problem string) {
	g.form(w, r, LoginForm{Status: status, Problem: problem, Action: relative(r.URL.Path, LoginPath)})
}

// sessionCookie carries id and nothing else: HttpOnly (no script reads it),
// SameSite=Strict (no other site's request carries it), Secure when the
// node serves TLS itself, and gone after SessionLifetime.
func sessionCookie(r *http.Request, id string) *http.Cookie {
	return &http.Cookie{Name: cookieNameOf(r), Value: id, Path: "/", MaxAge: int(SessionLifetime / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
}

func clearCookie(r *http.Request) *http.Cookie {
	c := sessionCookie(r, "")
	c.MaxAge = -1
	return c
}

// cookieNameOf is cookieName for the port in r's Host, when it has one.
func cookieNameOf(r *http.Request) string {
	_, port, err := net.SplitHostPort(r.Host)
	if err != nil || port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return cookieName
	}
	return cookieName + "_" + port
}

// readOnly reports whether a session may be used for r: a read of the
// page, never the API.
func readOnly(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, wire.Prefix)
}

// wantsForm reports whether r is a browser opening a page, which gets the
// login form instead of the JSON error: a GET or HEAD that accepts
// text/html, outside the API. Scripts and the page's own fetches (Accept
// */* or application/json) keep the JSON 401.
func wantsForm(r *http.Request) bool {
	return readOnly(r) && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// relative is the URL of to (an absolute path) relative to the page at
// from, so that forms and redirects work under whatever prefix a proxy
// serves the node at. Paths deeper than any page's get the absolute path.
func relative(from, to string) string {
	depth := strings.Count(from, "/") - 1
	if depth < 0 || depth > 8 {
		return to
	}
	return strings.Repeat("../", depth) + strings.TrimPrefix(to, "/")
}

// seeOther redirects to a URL relative to the request's, written as is:
// http.Redirect would make it absolute from the path the node saw, which
// is wrong behind a proxy that strips a prefix.
func seeOther(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

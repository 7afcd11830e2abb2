package api

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"outlast/internal/wire"
)

// pageServer serves the API and a ProtectPage'd page as the node mounts
// them, on loopback, with the guard's clock in the test's hands.
type pageServer struct {
	*httptest.Server
	h    *Handler
	logs *syncBuffer

	mu  sync.Mutex
	now time.Time
}

// The page says who it was shown to; the form says what it was asked to show.
var (
	fakePage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := SessionOf(r)
		c := callerOf(r.Context())
		fmt.Fprintf(w, "page for %s scope=%s csrf=%s logout=%s", c.name, c.scope, s.CSRF, s.Logout)
	})
	fakeForm = LoginPage(func(w http.ResponseWriter, _ *http.Request, f LoginForm) {
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, "form status=%d action=%s problem=%s", f.Status, f.Action, f.Problem)
	})
)

func servePage(t testing.TB, public, tls bool) *pageServer {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := &pageServer{h: New(sample(t), apiConfig(public), logger), logs: logs, now: t0}
	mux := http.NewServeMux()
	mux.Handle(wire.Prefix, p.h)
	mux.Handle("/", newPageGuard(p.h, fakePage, fakeForm, p.clock))
	if tls {
		p.Server = httptest.NewTLSServer(mux)
	} else {
		p.Server = httptest.NewServer(mux)
	}
	t.Cleanup(func() {
		p.Close()
		for _, secret := range []string{adminToken, readToken, "nope-0123456789"} {
			if bytes.Contains(logs.Bytes(), []byte(secret)) {
				t.Errorf("a token was logged:\n%s", logs.Bytes())
			}
		}
	})
	return p
}

func (p *pageServer) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

func (p *pageServer) advance(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = p.now.Add(d)
}

// do sends one request without following redirects; hdr holds header
// pairs, and "Cookie" a cookie value to send as the session.
func (p *pageServer) do(t testing.TB, method, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Cookie" {
			req.AddCookie(&http.Cookie{Name: cookieNameOf(req), Value: hdr[i+1]})
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := p.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// login posts token and returns the session cookie it got.
func (p *pageServer) login(t testing.TB, token string) *http.Cookie {
	t.Helper()
	res, body := p.do(t, "POST", LoginPath, url.Values{TokenField: {token}}.Encode())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with a good token: %d, want 303: %s", res.StatusCode, body)
	}
	for _, c := range res.Cookies() {
		if strings.HasPrefix(c.Name, cookieName) {
			return c
		}
	}
	t.Fatalf("login answered no session cookie: %v", res.Header["Set-Cookie"])
	return nil
}

const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" // Chromium's

func TestLoginFormForBrowsers(t *testing.T) {
	p := servePage(t, false, false)
	res, body := p.do(t, "GET", "/", "", "Accept", html)
	if res.StatusCode != 401 || body != "form status=401 action=login problem=" {
		t.Errorf("a browser without a token: %d %q, want 401 and the form", res.StatusCode, body)
	}
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("a 401 without WWW-Authenticate")
	}
	if _, body := p.do(t, "GET", "/status/fragment", "", "Accept", html); !strings.Contains(body, "action=../login ") {
		t.Errorf("the form under /status/ posts to %q, want ../login", body)
	}
	if res, body := p.do(t, "GET", LoginPath, "", "Accept", html); res.StatusCode != 200 || !strings.HasPrefix(body, "form status=200") {
		t.Errorf("GET /login: %d %q, want the form with 200", res.StatusCode, body)
	}
	// Scripts, the page's own fetches and the API keep the JSON error.
	for _, tc := range []struct{ method, path, accept string }{
		{"GET", "/", "application/json"},
		{"GET", "/", "*/*"},
		{"GET", "/", ""},
		{"GET", "/status/fragment", "*/*"},
		{"GET", "/api/v1/status", html},
		{"DELETE", "/", html},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		rec := httptest.NewRecorder()
		newPageGuard(p.h, fakePage, fakeForm, p.clock).ServeHTTP(rec, req)
		reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}.wantError(t, 401, wire.CodeUnauthorized)
	}
	// A bearer token still works, and a wrong one is still the JSON error.
	if res, body := p.do(t, "GET", "/", "", "Accept", html, "Authorization", "Bearer "+readToken); res.StatusCode != 200 {
		t.Errorf("a read token: %d %s", res.StatusCode, body)
	}
	res, body = p.do(t, "GET", "/", "", "Accept", html, "Authorization", "Bearer nope-0123456789")
	reply{status: res.StatusCode, header: res.Header, body: []byte(body)}.wantError(t, 401, wire.CodeUnauthorized)

	// A public page needs no login.
	pub := servePage(t, true, false)
	if res, body := pub.do(t, "GET", "/", "", "Accept", html); res.StatusCode != 200 || !strings.HasPrefix(body, "page for anonymous") {
		t.Errorf("a public page: %d %q", res.StatusCode, body)
	}
}

func TestLoginWrongToken(t *testing.T) {
	p := servePage(t, false, false)
	res, body := p.do(t, "POST", LoginPath, "token=nope-0123456789", "Accept", html)
	if res.StatusCode != 401 || !strings.Contains(body, "not one this node knows") {
		t.Errorf("a wrong token: %d %q, want 401 and the form saying why", res.StatusCode, body)
	}
	if c := res.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("a wrong token got a cookie: %s", c)
	}
	if !bytes.Contains(p.logs.Bytes(), []byte("login refused")) {
		t.Errorf("the refusal was not logged:\n%s", p.logs.Bytes())
	}
	if res, body := p.do(t, "POST", LoginPath, "token=", "Accept", html); res.StatusCode != 400 || !strings.Contains(body, "Enter a token") {
		t.Errorf("an empty token: %d %q", res.StatusCode, body)
	}
	// A token in the URL is not read: it would stay in logs and histories.
	if res, _ := p.do(t, "POST", LoginPath+"?token="+readToken, ""); res.StatusCode != 400 {
		t.Errorf("a token in the query: %d, want 400", res.StatusCode)
	}
}

func TestLoginCookie(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			p := servePage(t, false, tls)
			res, body := p.do(t, "POST", LoginPath, url.Values{TokenField: {readToken + "\n"}}.Encode())
			if res.StatusCode != 303 || res.Header.Get("Location") != "./" {
				t.Fatalf("login: %d to %q, want 303 to ./: %s", res.StatusCode, res.Header.Get("Location"), body)
			}
			raw := res.Header.Get("Set-Cookie")
			c := res.Cookies()[0]
			port := strings.TrimPrefix(p.URL[strings.LastIndex(p.URL, ":"):], ":")
			if c.Name != cookieName+"_"+port {
				t.Errorf("cookie name %q, want %s_%s", c.Name, cookieName, port)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tls {
				t.Errorf("cookie %s: want HttpOnly, SameSite=Strict, Path=/, Secure=%v", raw, tls)
			}
			if c.MaxAge != 12*3600 {
				t.Errorf("cookie Max-Age %d, want 12 h", c.MaxAge)
			}
			if len(c.Value) != sessionIDLen || strings.Contains(raw, "bob") || strings.Contains(raw, readToken) {
				t.Errorf("cookie %s: want only a %d-character id", raw, sessionIDLen)
			}
			if res, body := p.do(t, "GET", "/", "", "Cookie", c.Value); res.StatusCode != 200 || !strings.HasPrefix(body, "page for bob scope=read") ||
				!strings.Contains(body, "logout=logout") {
				t.Errorf("the page with the cookie: %d %q", res.StatusCode, body)
			}
			if res, _ := p.do(t, "HEAD", "/status/fragment", "", "Cookie", c.Value); res.StatusCode != 200 {
				t.Errorf("HEAD of the fragment with the cookie: %d", res.StatusCode)
			}
		})
	}
}

// The cookie grants what the page needs, a read, whatever the token's
// scope; the JSON API does not look at it at all.
func TestSessionCookieOnlyReadsThePage(t *testing.T) {
	p := servePage(t, false, false)
	c := p.login(t, adminToken)
	if _, body := p.do(t, "GET", "/", "", "Cookie", c.Value); !strings.HasPrefix(body, "page for alice scope=read") {
		t.Errorf("an admin's session: %q, want scope read", body)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v1/status", ""},
		{"GET", "/api/v1/overrides", ""},
		{"POST", "/api/v1/overrides", overrideBody},
		{"POST", "/", ""},
	} {
		res, body := p.do(t, tc.method, tc.path, tc.body, "Cookie", c.Value, "Accept", html, "Content-Type", "application/json")
		reply{status: res.StatusCode, header: res.Header, body: []byte(body)}.wantError(t, 401, wire.CodeUnauthorized)
	}
	// Nor through the guard, wherever it is mounted.
	req := httptest.NewRequest("GET", "/api/v1/status", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: c.Value})
	rec := httptest.NewRecorder()
	newPageGuard(p.h, fakePage, fakeForm, p.clock).ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("the guard admitted a cookie for the API: %d", rec.Code)
	}
}

func TestSessionExpiresOverHTTP(t *testing.T) {
	p := servePage(t, false, false)
	c := p.login(t, readToken)
	p.advance(SessionLifetime - time.Second)
	if res, _ := p.do(t, "GET", "/", "", "Cookie", c.Value); res.StatusCode != 200 {
		t.Fatalf("a second before its end the session gets %d", res.StatusCode)
	}
	p.advance(time.Second)
	res, body := p.do(t, "GET", "/", "", "Cookie", c.Value, "Accept", html)
	if res.StatusCode != 401 || !strings.HasPrefix(body, "form") {
		t.Errorf("an expired session: %d %q, want the form", res.StatusCode, body)
	}
	if cs := res.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("the stale cookie was not cleared: %v", res.Header["Set-Cookie"])
	}
}

// Regression for the session outliving its token: a reload that removes or
// replaces the token ends the sessions started with it.
func TestSessionEndsWithSetAuth(t *testing.T) {
	p := servePage(t, false, false)
	bob, alice := p.login(t, readToken), p.login(t, adminToken)
	cfg := apiConfig(false)
	cfg.Tokens = cfg.Tokens[:1] // bob's token goes
	p.h.SetAuth(cfg)
	if res, _ := p.do(t, "GET", "/", "", "Cookie", bob.Value); res.StatusCode != 401 {
		t.Errorf("bob's session after his token was removed: %d, want 401", res.StatusCode)
	}
	if res, _ := p.do(t, "GET", "/", "", "Cookie", alice.Value); res.StatusCode != 200 {
		t.Errorf("alice's session after bob's token was removed: %d, want 200", res.StatusCode)
	}
	cfg.Tokens[0].SHA256 = sha("alice-new-0123456789")
	p.h.SetAuth(cfg)
	if res, _ := p.do(t, "GET", "/", "", "Cookie", alice.Value); res.StatusCode != 401 {
		t.Errorf("alice's session after her token was replaced: %d, want 401", res.StatusCode)
	}
}

func TestLogout(t *testing.T) {
	p := servePage(t, false, false)
	c := p.login(t, readToken)
	_, page := p.do(t, "GET", "/", "", "Cookie", c.Value)
	csrf := regexp.MustCompile(`csrf=(\S+)`).FindStringSubmatch(page)[1]

	for _, tc := range []struct {
		name, body string
		hdr        []string
	}{
		{"no CSRF field", "", nil},
		{"another CSRF token", "csrf=" + strings.Repeat("A", len(csrf)), nil},
		{"from another site", "csrf=" + csrf, []string{"Sec-Fetch-Site", "cross-site"}},
		{"from another origin", "csrf=" + csrf, []string{"Origin", "http://evil.example"}},
	} {
		res, body := p.do(t, "POST", LogoutPath, tc.body, append([]string{"Cookie", c.Value}, tc.hdr...)...)
		if res.StatusCode != 403 {
			t.Errorf("logout %s: %d %s, want 403", tc.name, res.StatusCode, body)
		}
		if res, _ := p.do(t, "GET", "/", "", "Cookie", c.Value); res.StatusCode != 200 {
			t.Fatalf("a refused logout (%s) ended the session", tc.name)
		}
	}
	if res, _ := p.do(t, "GET", LogoutPath, "", "Cookie", c.Value); res.StatusCode != 405 {
		t.Errorf("GET /logout: %d, want 405", res.StatusCode)
	}

	res, body := p.do(t, "POST", LogoutPath, "csrf="+csrf, "Cookie", c.Value, "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != 303 || res.Header.Get("Location") != "login" {
		t.Fatalf("logout: %d to %q, want 303 to login: %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if cs := res.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout did not clear the cookie: %v", res.Header["Set-Cookie"])
	}
	if res, _ := p.do(t, "GET", "/", "", "Cookie", c.Value); res.StatusCode != 401 {
		t.Errorf("the cookie still works after logout: %d", res.StatusCode)
	}
	if !bytes.Contains(p.logs.Bytes(), []byte("msg=logout component=api token=bob")) {
		t.Errorf("the logout was not logged:\n%s", p.logs.Bytes())
	}
}

func TestLoginBodyBounded(t *testing.T) {
	p := servePage(t, false, false)
	body := url.Values{TokenField: {readToken}, "pad": {strings.Repeat("x", maxLoginBody)}}.Encode()
	res, got := p.do(t, "POST", LoginPath, body)
	if res.StatusCode != 413 || len(res.Cookies()) != 0 {
		t.Errorf("a %d-byte form: %d %q, want 413 and no cookie", len(body), res.StatusCode, got)
	}
}

func TestLoginFromAnotherSite(t *testing.T) {
	p := servePage(t, false, false)
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", "http://evil.example"}} {
		res, body := p.do(t, "POST", LoginPath, "token="+readToken, hdr...)
		if res.StatusCode != 403 || len(res.Cookies()) != 0 {
			t.Errorf("a login with %s: %s: %d %q, want 403 and no cookie", hdr[0], hdr[1], res.StatusCode, body)
		}
	}
	if res, _ := p.do(t, "POST", LoginPath, "token="+readToken, "Sec-Fetch-Site", "same-origin"); res.StatusCode != 303 {
		t.Errorf("a same-origin login: %d, want 303", res.StatusCode)
	}
}

// Wrong tokens are limited per client; the right one is refused too while
// the limit holds, so the limit cannot be used to test tokens.
func TestLoginRateLimited(t *testing.T) {
	p := servePage(t, false, false)
	for i := range loginBurst {
		if res, _ := p.do(t, "POST", LoginPath, "token=nope-0123456789"); res.StatusCode != 401 {
			t.Fatalf("wrong token %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	res, body := p.do(t, "POST", LoginPath, "token="+readToken)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "12" || len(res.Cookies()) != 0 {
		t.Errorf("after %d wrong tokens: %d, Retry-After %q, %q; want 429 after 12 s and no cookie",
			loginBurst, res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if n := bytes.Count(p.logs.Bytes(), []byte("login refused")); n != loginBurst {
		t.Errorf("%d refusals logged, want %d (one per attempt checked)", n, loginBurst)
	}
	p.advance(loginRefill)
	p.login(t, readToken)
}

func TestCookieNameOf(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1:8080":      "outlast_session_8080",
		"[::1]:9":             "outlast_session_9",
		"node.example":        "outlast_session",
		"node.example:80a":    "outlast_session",
		"node.example:123456": "outlast_session",
	} {
		if got := cookieNameOf(&http.Request{Host: host}); got != want {
			t.Errorf("cookieNameOf(%q) = %q, want %q", host, got, want)
		}
	}
}

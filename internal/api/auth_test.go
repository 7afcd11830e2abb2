package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"outlast/internal/config"
	"outlast/internal/wire"
)

type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request; token "" sends no Authorization header.
func call(t testing.TB, s *server, method, path, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// decode parses a reply of the wanted status into v.
func (r reply) decode(t testing.TB, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// wantError checks an error reply: its status, code and JSON shape.
func (r reply) wantError(t testing.TB, status int, code string) wire.ErrorBody {
	t.Helper()
	var e wire.ErrorBody
	r.decode(t, status, &e)
	if e.Code != code || e.Error == "" {
		t.Errorf("error body %s, want code %q and a message", r.body, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want JSON", ct)
	}
	return e
}

const overrideBody = `{"endpoint":"use1","kind":"drain","reason":"region outage"}`

func TestAuth(t *testing.T) {
	cases := []struct {
		name                string
		public              bool
		method, path, token string
		body                string
		status              int
		code                string
	}{
		{"no token read", false, "GET", "/api/v1/status", "", "", 401, wire.CodeUnauthorized},
		{"unknown token read", false, "GET", "/api/v1/status", "not-a-token", "", 401, wire.CodeUnauthorized},
		{"read token read", false, "GET", "/api/v1/services", readToken, "", 200, ""},
		{"admin token read", false, "GET", "/api/v1/events", adminToken, "", 200, ""},
		{"no token write", false, "POST", "/api/v1/overrides", "", overrideBody, 401, wire.CodeUnauthorized},
		{"unknown token write", false, "POST", "/api/v1/overrides", "nope", overrideBody, 401, wire.CodeUnauthorized},
		{"read token on write", false, "POST", "/api/v1/overrides", readToken, overrideBody, 403, wire.CodeForbidden},
		{"read token on delete", false, "DELETE", "/api/v1/overrides/use1?reason=x", readToken, "", 403, wire.CodeForbidden},
		{"read token on apply", false, "POST", "/api/v1/config/apply?reason=x", readToken, configYAML, 403, wire.CodeForbidden},
		{"admin token write", false, "POST", "/api/v1/overrides", adminToken, overrideBody, 201, ""},
		{"public read without token", true, "GET", "/api/v1/status", "", "", 200, ""},
		{"public services without token", true, "GET", "/api/v1/services/api.example.test", "", "", 200, ""},
		{"public read with unknown token", true, "GET", "/api/v1/status", "nope", "", 401, wire.CodeUnauthorized},
		{"public write without token", true, "POST", "/api/v1/overrides", "", overrideBody, 401, wire.CodeUnauthorized},
		{"public delete without token", true, "DELETE", "/api/v1/overrides/use1?reason=x", "", "", 401, wire.CodeUnauthorized},
		{"public validate without token", true, "POST", "/api/v1/config/validate", "", configYAML, 401, wire.CodeUnauthorized},
		{"public write with read token", true, "POST", "/api/v1/overrides", readToken, overrideBody, 403, wire.CodeForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := serve(t, sample(t), tc.public)
			r := call(t, s, tc.method, tc.path, tc.token, tc.body)
			if tc.code == "" {
				if r.status != tc.status {
					t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
				}
				return
			}
			r.wantError(t, tc.status, tc.code)
			if got := r.header.Get("WWW-Authenticate"); (tc.status == 401) != strings.HasPrefix(got, "Bearer") {
				t.Errorf("status %d with WWW-Authenticate %q", tc.status, got)
			}
		})
	}
}

func TestAuthSchemeAndCase(t *testing.T) {
	s := serve(t, sample(t), false)
	for _, h := range []string{"Basic " + readToken, readToken, "Bearer", "Bearer " + strings.ToUpper(readToken)} {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/status", nil)
		req.Header.Set("Authorization", h)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Authorization %q: status %d, want 401", h, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/status", nil)
	req.Header.Set("Authorization", "bearer "+readToken) // the scheme is case-insensitive (RFC 7235)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer scheme: status %d, want 200", resp.StatusCode)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := serve(t, sample(t), false)
	call(t, s, "GET", "/api/v1/nothing", readToken, "").wantError(t, 404, wire.CodeNotFound)
	r := call(t, s, "PUT", "/api/v1/overrides", adminToken, "{}")
	r.wantError(t, 405, wire.CodeMethodNotAllowed)
	if allow := r.header.Get("Allow"); allow != "GET, POST, HEAD" {
		t.Errorf("Allow %q, want GET, POST, HEAD", allow)
	}
	call(t, s, "GET", "/api/v1/config/apply", adminToken, "").wantError(t, 405, wire.CodeMethodNotAllowed)
}

func TestProtect(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") })
	for _, public := range []bool{false, true} {
		h := New(sample(t), apiConfig(public), nil).Protect(page)
		for _, tc := range []struct {
			token string
			want  int
		}{{"", map[bool]int{false: 401, true: 200}[public]}, {readToken, 200}, {adminToken, 200}, {"nope", 401}} {
			req := httptest.NewRequest("GET", "/", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Errorf("public=%v token %q: status %d, want %d", public, tc.token, w.Code, tc.want)
			}
		}
	}
}

// Regression for defect 4: tokens removed from the configuration kept
// working until the process restarted. After SetAuth they are refused on
// the next request, by the API and by what its Protect guards.
func TestSetAuthRevokes(t *testing.T) {
	h := New(sample(t), apiConfig(false), nil)
	// Built before the swaps, as the node builds its mux once.
	page := h.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	s := &server{Server: srv}
	status := func(token string) (apiStatus, pageStatus int) {
		t.Helper()
		apiStatus = call(t, s, "GET", "/api/v1/status", token, "").status
		req := httptest.NewRequest("GET", "/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		page.ServeHTTP(w, req)
		return apiStatus, w.Code
	}
	if a, p := status(readToken); a != 200 || p != 200 {
		t.Fatalf("before the swap: bob's read token got %d from the API and %d from the page, want 200", a, p)
	}

	// bob's token is removed and a new one for dave added.
	cfg := apiConfig(false)
	cfg.Tokens = []config.Token{cfg.Tokens[0], {Name: "dave", Scope: config.ScopeRead, SHA256: sha("dave-token-0123456789")}}
	h.SetAuth(cfg)
	if a, p := status(readToken); a != 401 || p != 401 {
		t.Errorf("after the swap: the removed token got %d from the API and %d from the page, want 401", a, p)
	}
	if a, p := status("dave-token-0123456789"); a != 200 || p != 200 {
		t.Errorf("after the swap: the added token got %d and %d, want 200", a, p)
	}
	call(t, s, "POST", "/api/v1/overrides", adminToken, overrideBody).decode(t, 201, &wire.Override{})

	// public_status turned off takes effect as well.
	public := apiConfig(true)
	h.SetAuth(public)
	if a, p := status(""); a != 200 || p != 200 {
		t.Errorf("public: no token got %d and %d, want 200", a, p)
	}
	h.SetAuth(apiConfig(false))
	if a, p := status(""); a != 401 || p != 401 {
		t.Errorf("no longer public: no token got %d and %d, want 401", a, p)
	}
}

func TestCanRead(t *testing.T) {
	for _, public := range []bool{false, true} {
		h := New(sample(t), apiConfig(public), nil)
		for _, tc := range []struct {
			token string
			want  bool
		}{{"", public}, {readToken, true}, {adminToken, true}, {"nope", false}} {
			req := httptest.NewRequest("GET", "/healthz", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			if got := h.CanRead(req); got != tc.want {
				t.Errorf("public=%v token %q: CanRead %v, want %v", public, tc.token, got, tc.want)
			}
		}
	}
}

// Every JSON body is bounded, strict about its fields and about what
// follows it.
func TestOverrideBodyRefusals(t *testing.T) {
	s := serve(t, sample(t), false)
	big := `{"endpoint":"use1","kind":"drain","reason":"` + strings.Repeat("x", maxJSONBody) + `"}`
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"too large", big, 413},
		{"unknown field", `{"endpoint":"use1","kind":"drain","reason":"r","colour":"blue"}`, 400},
		{"two values", overrideBody + ` {}`, 400},
		{"stray brace", overrideBody + `}`, 400},
		{"not an object", `[1]`, 400},
		{"empty", ``, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call(t, s, "POST", "/api/v1/overrides", adminToken, tc.body).wantError(t, tc.status, wire.CodeBadRequest)
		})
	}
}

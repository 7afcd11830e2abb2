package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
func (r reply) wantError(t testing.TB, status int, code string) ErrorBody {
	t.Helper()
	var e ErrorBody
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
		{"no token read", false, "GET", "/api/v1/status", "", "", 401, CodeUnauthorized},
		{"unknown token read", false, "GET", "/api/v1/status", "not-a-token", "", 401, CodeUnauthorized},
		{"read token read", false, "GET", "/api/v1/services", readToken, "", 200, ""},
		{"admin token read", false, "GET", "/api/v1/events", adminToken, "", 200, ""},
		{"no token write", false, "POST", "/api/v1/overrides", "", overrideBody, 401, CodeUnauthorized},
		{"unknown token write", false, "POST", "/api/v1/overrides", "nope", overrideBody, 401, CodeUnauthorized},
		{"read token on write", false, "POST", "/api/v1/overrides", readToken, overrideBody, 403, CodeForbidden},
		{"read token on delete", false, "DELETE", "/api/v1/overrides/use1?reason=x", readToken, "", 403, CodeForbidden},
		{"read token on apply", false, "POST", "/api/v1/config/apply?reason=x", readToken, configYAML, 403, CodeForbidden},
		{"admin token write", false, "POST", "/api/v1/overrides", adminToken, overrideBody, 201, ""},
		{"public read without token", true, "GET", "/api/v1/status", "", "", 200, ""},
		{"public services without token", true, "GET", "/api/v1/services/api.example.test", "", "", 200, ""},
		{"public read with unknown token", true, "GET", "/api/v1/status", "nope", "", 401, CodeUnauthorized},
		{"public write without token", true, "POST", "/api/v1/overrides", "", overrideBody, 401, CodeUnauthorized},
		{"public delete without token", true, "DELETE", "/api/v1/overrides/use1?reason=x", "", "", 401, CodeUnauthorized},
		{"public validate without token", true, "POST", "/api/v1/config/validate", "", configYAML, 401, CodeUnauthorized},
		{"public write with read token", true, "POST", "/api/v1/overrides", readToken, overrideBody, 403, CodeForbidden},
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
	call(t, s, "GET", "/api/v1/nothing", readToken, "").wantError(t, 404, CodeNotFound)
	r := call(t, s, "PUT", "/api/v1/overrides", adminToken, "{}")
	r.wantError(t, 405, CodeMethodNotAllowed)
	if allow := r.header.Get("Allow"); allow != "GET, POST, HEAD" {
		t.Errorf("Allow %q, want GET, POST, HEAD", allow)
	}
	call(t, s, "GET", "/api/v1/config/apply", adminToken, "").wantError(t, 405, CodeMethodNotAllowed)
}

func TestProtect(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") })
	for _, public := range []bool{false, true} {
		h := Protect(apiConfig(public), page)
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

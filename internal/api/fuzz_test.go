package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"outlast/internal/wire"
	"strings"
	"testing"
)

// The API's request bodies cross a trust boundary: any token holder (a read
// token for validate) sends them. These targets drive the real handler,
// over the fake backend, with arbitrary bodies. Whatever arrives, the
// answer is a 2xx or a 4xx with a JSON error body, never a panic or a 5xx
// (the fake backend always commits, so a 503 would be an unclassified
// refusal). Crashers go to testdata/fuzz/<target>/ and stay as regression
// tests. Run one with, e.g.:
//
//	go test -run '^$' -fuzz '^FuzzOverrideBody$' -fuzztime 30s ./internal/api/

func FuzzOverrideBody(f *testing.F) {
	for _, seed := range []string{
		overrideBody,
		`{"endpoint":"usc1","kind":"force-down","reason":"x","for":"30m"}`,
		`{"endpoint":"use1","kind":"drain","reason":"r","for":"-1s"}`,
		`{"endpoint":"nope","kind":"force-up","reason":"r"}`,
		`{"endpoint":"use1","kind":"drain","reason":"r","colour":"blue"}`,
		`{"endpoint":"use1","kind":"drain","reason":"r"} {}`,
		`{"endpoint":"use1","kind":"drain","reason":"r"}}`,
		`{"endpoint":1}`, `[]`, `null`, ``, `{`, `"\ud800"`,
	} {
		f.Add([]byte(seed))
	}
	h := New(sample(f), apiConfig(false), nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAnswer(t, h, "POST", "/api/v1/overrides", adminToken, body)
	})
}

func FuzzConfigBody(f *testing.F) {
	for _, seed := range []string{
		configYAML, edited,
		strings.Replace(configYAML, "ttl: 30s", "ttl: soon", 1),
		strings.Replace(configYAML, "services:", "services: &s\nother: *s\nservices:", 1),
		"a: &a [1, 2]\nb: [*a, *a, *a]\n",
		"services: []\nservices: []\n",
		`{"node": {"name": "n"}}`, "", "\x00", "- - - -", "!!binary AAAA",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	h := New(sample(f), apiConfig(false), nil)
	f.Fuzz(func(t *testing.T, body []byte, apply bool) {
		if apply {
			checkAnswer(t, h, "POST", "/api/v1/config/apply?reason=fuzz", adminToken, body)
		} else {
			checkAnswer(t, h, "POST", "/api/v1/config/validate", readToken, body)
		}
	})
}

// checkAnswer sends one request and holds the answer to the rule above.
func checkAnswer(t *testing.T, h http.Handler, method, path, token string, body []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	out := w.Body.Bytes()
	if w.Code < 200 || w.Code >= 500 || (w.Code >= 300 && w.Code < 400) {
		t.Fatalf("%s %s: status %d, want 2xx or 4xx; body %.500s", method, path, w.Code, out)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d with Content-Type %q, want JSON", w.Code, ct)
	}
	if w.Code < 400 {
		if !json.Valid(out) {
			t.Fatalf("status %d with a body that is not JSON: %.500s", w.Code, out)
		}
		return
	}
	var e wire.ErrorBody
	if err := json.Unmarshal(out, &e); err != nil || e.Error == "" || e.Code == "" {
		t.Fatalf("status %d with body %.500s, want a JSON error with a message and a code", w.Code, out)
	}
}

// FuzzPrimaryBodies: the bodies of POST /api/v1/primaries and
// /api/v1/gates/{name} (a hostile admin's or a broken script's) get a
// JSON answer of 2xx or 4xx, never a crash or a 5xx.
func FuzzPrimaryBodies(f *testing.F) {
	for _, seed := range []string{
		`{"endpoint":"use1","reason":"drill"}`,
		`{"endpoint":"use1","reason":"drill","break_glass":true}`,
		`{"endpoint":"use1","reason":""}`, `{"on":false,"reason":"upgrade"}`, `{"on":"yes"}`,
		`{"endpoint":"use1","reason":"r"} {}`, `[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	h := New(sample(f), apiConfig(false), nil)
	f.Fuzz(func(t *testing.T, body []byte, gate bool) {
		if gate {
			checkAnswer(t, h, "POST", "/api/v1/gates/maint", adminToken, body)
		} else {
			checkAnswer(t, h, "POST", "/api/v1/primaries", adminToken, body)
		}
	})
}

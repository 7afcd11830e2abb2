package api

import (
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzLoginForm posts any body under any content type to the login: it
// never panics, answers one of the statuses it documents, and starts a
// session exactly when the body's token field (read by the standard
// parser, as a reference) is a token in force.
func FuzzLoginForm(f *testing.F) {
	for _, seed := range []string{"token=" + readToken, "token=" + adminToken + "%0A", "token=nope", "", "token=%zz",
		"a=1;b=2", "token=" + readToken + "&token=x", strings.Repeat("token=", 800)} {
		f.Add(seed, "application/x-www-form-urlencoded")
	}
	f.Add("--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n"+readToken+"\r\n--b--", "multipart/form-data; boundary=b")
	h := New(sample(f), apiConfig(false), nil)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		g := newPageGuard(h, fakePage, fakeForm, func() time.Time { return t0 })
		req := httptest.NewRequest("POST", LoginPath, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)

		want := referenceStatus(body, contentType)
		if rec.Code != want {
			t.Fatalf("body %q (%s): %d, want %d", body, contentType, rec.Code, want)
		}
		if (rec.Code == http.StatusSeeOther) != (g.store.len() == 1) || (rec.Code == http.StatusSeeOther) != (rec.Header().Get("Set-Cookie") != "") {
			t.Fatalf("body %q: %d with %d sessions and Set-Cookie %q", body, rec.Code, g.store.len(), rec.Header().Get("Set-Cookie"))
		}
	})
}

// referenceStatus is how the login should answer body, by the standard
// parsers: 413 for a form over the bound, 400 for one that does not parse
// or has no token (any body but a URL-encoded form has none), 303 for a
// token in force and 401 for any other.
func referenceStatus(body, contentType string) int {
	if contentType == "" {
		return http.StatusBadRequest
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return http.StatusBadRequest
	case mt != "application/x-www-form-urlencoded":
		return http.StatusBadRequest
	case len(body) > maxLoginBody:
		return http.StatusRequestEntityTooLarge
	}
	v, err := url.ParseQuery(body)
	token := strings.TrimSpace(v.Get(TokenField))
	switch {
	case err != nil || token == "":
		return http.StatusBadRequest
	case token == readToken || token == adminToken:
		return http.StatusSeeOther
	}
	return http.StatusUnauthorized
}

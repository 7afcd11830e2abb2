package statuspage

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"outlast/internal/api"
	"outlast/internal/config"
	"outlast/internal/wire"
)

// The token the login tests use; the configuration holds its hash.
const loginToken = "olt_readerreaderreader0123"

func loginConfig() config.API {
	sum := sha256.Sum256([]byte(loginToken))
	return config.API{Tokens: []config.Token{{Name: "bob", Scope: config.ScopeRead, SHA256: hex.EncodeToString(sum[:])}}}
}

// protected serves b's page behind a token as the node does: the API under
// wire.Prefix, the page and its login everywhere else.
func protected(t testing.TB, b api.Backend) *httptest.Server {
	t.Helper()
	h := api.New(b, loginConfig(), nil)
	mux := http.NewServeMux()
	mux.Handle(wire.Prefix, h)
	mux.Handle("/", h.ProtectPage(New(b, nil), LoginPage(b, nil)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestLoginFormAccessible(t *testing.T) {
	for _, problem := range []string{"", "That token is not one this node knows."} {
		rec := httptest.NewRecorder()
		LoginPage(sample(t), nil)(rec, httptest.NewRequest("GET", "/", nil),
			api.LoginForm{Status: http.StatusUnauthorized, Problem: problem, Action: "login"})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want the form's 401", rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "script-src") {
			t.Errorf("Content-Security-Policy %q: want nothing but its style and posts to itself", csp)
		}
		doc := parse(t, rec.Body.String())
		forms := findAll(doc, tag("form"))
		if len(forms) != 1 || !hasAttr(forms[0], "method", "post") || !hasAttr(forms[0], "action", "login") {
			t.Fatalf("want one form posting to login, found %d", len(forms))
		}
		input := findAll(doc, func(n *html.Node) bool { return n.Data == "input" && hasAttr(n, "id", "token") })
		label := findAll(doc, func(n *html.Node) bool { return n.Data == "label" && hasAttr(n, "for", "token") })
		if len(input) != 1 || len(label) != 1 {
			t.Fatalf("want one input#token with its label, found %d and %d", len(input), len(label))
		}
		in := input[0]
		for key, val := range map[string]string{"name": api.TokenField, "type": "password"} {
			if !hasAttr(in, key, val) {
				t.Errorf("the token input lacks %s=%q", key, val)
			}
		}
		for _, key := range []string{"autofocus", "required"} {
			if _, ok := attr(in, key); !ok {
				t.Errorf("the token input lacks %s", key)
			}
		}
		if len(findAll(doc, func(n *html.Node) bool { return n.Data == "button" && hasAttr(n, "type", "submit") })) != 1 {
			t.Error("no submit button")
		}
		alerts := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "role", "alert") })
		described, _ := attr(in, "aria-describedby")
		if problem == "" {
			if len(alerts) != 0 || hasAttr(in, "aria-invalid", "true") {
				t.Error("a first form shows an error")
			}
			continue
		}
		if len(alerts) != 1 || text(alerts[0]) != problem {
			t.Errorf("the error is not one alert saying %q", problem)
		} else if id, _ := attr(alerts[0], "id"); !strings.Contains(described, id) {
			t.Errorf("the input's aria-describedby %q does not name the error %q", described, id)
		}
		if !hasAttr(in, "aria-invalid", "true") {
			t.Error("the input is not marked invalid after a wrong token")
		}
	}
}

// The page shown to a session carries its logout form; shown to a bearer
// token it has none.
func TestPageLogoutForm(t *testing.T) {
	srv := protected(t, sample(t))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	res, err := client.PostForm(srv.URL+api.LoginPath, url.Values{api.TokenField: {loginToken}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" {
		t.Fatalf("login then redirect: %d at %s, want the page at /", res.StatusCode, res.Request.URL)
	}
	doc := parse(t, string(body))
	forms := findAll(doc, func(n *html.Node) bool { return n.Data == "form" && hasAttr(n, "action", "logout") })
	if len(forms) != 1 || !hasAttr(forms[0], "method", "post") {
		t.Fatalf("want one logout form posting to logout, found %d", len(forms))
	}
	csrf := findAll(forms[0], func(n *html.Node) bool { return n.Data == "input" && hasAttr(n, "name", api.CSRFField) })
	if v, _ := attr(csrf[0], "value"); len(csrf) != 1 || len(v) < 40 {
		t.Errorf("the logout form's CSRF field is %q, want the session's token", v)
	}
	if !strings.Contains(text(forms[0]), "bob") {
		t.Errorf("the logout form %q does not say whose token", text(forms[0]))
	}

	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+loginToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), `action="logout"`) {
		t.Error("a page shown to a bearer token has a logout form")
	}
}

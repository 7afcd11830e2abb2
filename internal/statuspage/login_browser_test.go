package statuspage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"outlast/internal/statuspage/statuspagetest"
)

// TestLoginInChromium opens a token-protected status page in headless
// Chromium: it gets the login form, a wrong token is refused, the right one
// shows the matrix and keeps it live, the session cookie in the browser's
// jar is HttpOnly and SameSite=Strict, the API refuses the cookie, and
// logging out brings the form back.
func TestLoginInChromium(t *testing.T) {
	srv := protected(t, sample(t))
	browser := statuspagetest.Open(t, srv.URL+"/")
	ctx := browser.Context()

	focused, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement === document.getElementById("token")`))
	if err != nil || !focused {
		t.Fatalf("the login form's token field has no focus (%v): a bare 401 instead of the form?", err)
	}

	submit(t, ctx, "olt_not-a-token-of-this-node")
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#login-problem")); err != nil {
		t.Fatalf("no error shown after a wrong token: %v", err)
	}
	problem, err := chromedp.Run(ctx, chromedp.Text("#login-problem"))
	if err != nil || !strings.Contains(problem, "not one this node knows") {
		t.Errorf("after a wrong token the form says %q (%v)", problem, err)
	}
	if c := sessionCookies(t, ctx, srv.URL); len(c) != 0 {
		t.Fatalf("a wrong token left a cookie: %+v", c[0])
	}

	submit(t, ctx, loginToken)
	if err := browser.WaitState("usc1", "n-azure", "up", 10*time.Second); err != nil {
		t.Fatalf("after logging in: %v", err)
	}
	cookies := sessionCookies(t, ctx, srv.URL)
	if len(cookies) != 1 {
		t.Fatalf("%d session cookies in the jar, want 1", len(cookies))
	}
	if c := cookies[0]; !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Path != "/" || c.Session {
		t.Errorf("session cookie %s: HttpOnly %v, SameSite %q, Path %q, session-only %v; want HttpOnly, Strict, /, with an expiry",
			c.Name, c.HTTPOnly, c.SameSite, c.Path, c.Session)
	}
	if jar, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || jar != "" {
		t.Errorf("the page's script sees cookies %q (%v), want none", jar, err)
	}

	// The page's live updates ride on the cookie; the API does not take it.
	if err := waitText(ctx, "#updated", "Live", 10*time.Second); err != nil {
		t.Error(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("api/v1/status", {credentials: "same-origin"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 401 {
		t.Errorf("the API with the session cookie: %d (%v), want 401", status, err)
	}

	if err := chromedp.Do(ctx, chromedp.Click("form.session button")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#token")); err != nil {
		t.Fatalf("no login form after logging out: %v", err)
	}
	if c := sessionCookies(t, ctx, srv.URL); len(c) != 0 {
		t.Errorf("the cookie outlived the logout: %+v", c[0])
	}
}

// submit types token into the login form and sends it.
func submit(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#token"), chromedp.SendKeys("#token", token),
		chromedp.Click(`form.login button[type="submit"]`)); err != nil {
		t.Fatalf("submitting the login form: %v", err)
	}
}

// sessionCookies reads the browser's cookie jar for url.
func sessionCookies(t *testing.T, ctx context.Context, url string) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatalf("reading the cookie jar: %v", err)
	}
	var out []*network.Cookie
	for _, c := range res.Cookies {
		if strings.HasPrefix(c.Name, "outlast_session") {
			out = append(out, c)
		}
	}
	return out
}

// waitText waits until the element sel's text starts with prefix.
func waitText(ctx context.Context, sel, prefix string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			return err
		}
		if strings.HasPrefix(got, prefix) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still says %q after %s, want %q…", sel, got, within, prefix)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

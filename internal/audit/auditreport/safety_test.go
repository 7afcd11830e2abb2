package auditreport

import (
	"strings"
	"testing"

	"outlast/internal/audit"
	"outlast/internal/wcag"
)

// The page must open offline: it may fetch nothing, from anywhere.
func TestHTMLIsSelfContained(t *testing.T) {
	out := render(t, quorumTrap())
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url(", "<img", "src=", "href="} {
		if i := strings.Index(out, bad); i >= 0 {
			t.Errorf("page contains %q: ...%s...", bad, out[max(0, i-60):min(len(out), i+60)])
		}
	}
	if !strings.Contains(out, "<style>") || !strings.Contains(out, `<meta name="viewport"`) {
		t.Error("page lacks its inline style or its viewport for phones")
	}
}

func TestHTMLEscapesNames(t *testing.T) {
	r := quorumTrap()
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>&amp`
	r.Source = evil
	r.Services[0] = evil
	r.Domains[0].Domain = `a"><script>alert(2)</script>`
	r.Domains[0].Services[0].Service = evil
	r.Domains[0].Services[0].Note = `"><script>alert(3)</script>`
	r.Domains[1].Services[1].Impact = `x"><script>alert(4)</script>`
	f := &r.Findings[0]
	f.Subject, f.Summary, f.Why, f.Fix, f.Domain, f.Check = evil, evil, evil, evil, evil, audit.Check(evil)
	out := render(t, r)
	for _, bad := range []string{"<script", "<img"} {
		if i := strings.Index(out, bad); i >= 0 {
			t.Errorf("unescaped %q: ...%s...", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	for _, s := range []string{
		`<span class="mono">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp</span>`,
		`<th scope="col">&lt;script&gt;`,
		`<tr data-domain="a&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"><th scope="row">a&#34;&gt;&lt;script&gt;`,
		`title="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"`,
		// The unknown impact's class keeps to letters and dashes.
		`<td class="i-x---script-alert-----script-" data-service="api.example.com."`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks the escaped %s", s)
		}
	}
	// The service's cell is still found by its (evil) name.
	if got := matrixOf(out)[0]; !strings.HasPrefix(got, `a"><script>alert(2)</script>: stuck(⚠ stuck · 50%)`) {
		t.Errorf("first row %s", got)
	}
}

// Every text colour keeps WCAG AA contrast (4.5:1) on its background.
func TestColoursKeepContrast(t *testing.T) {
	pairs := map[string][2]string{"unknown": {unknownStyle.FG, unknownStyle.BG}}
	for _, s := range impactStyles {
		pairs["impact "+string(s.Impact)] = [2]string{s.FG, s.BG}
	}
	for _, s := range severityStyles {
		pairs["severity "+s.Severity.String()] = [2]string{s.FG, s.BG}
	}
	for name, p := range pairs {
		if c := contrast(t, p[0], p[1]); c < wcag.AA {
			t.Errorf("%s: %s on %s has contrast %.2f, want at least 4.5", name, p[0], p[1], c)
		}
	}
	// The impact scale gets darker step by step, so it reads in order
	// without hue: check the lightness falls.
	for i := 1; i < len(impactStyles); i++ {
		a, b := impactStyles[i-1], impactStyles[i]
		if luminance(t, b.BG) >= luminance(t, a.BG) {
			t.Errorf("%s (%s) is not darker than %s (%s)", b.Impact, b.BG, a.Impact, a.BG)
		}
	}
}

func contrast(t *testing.T, fg, bg string) float64 {
	t.Helper()
	c, err := wcag.Contrast(fg, bg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	l, err := wcag.Luminance(hex)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

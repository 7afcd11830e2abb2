package statuspagetest

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

// State reads what the page shows now: the matrix cell of endpoint seen
// from vantage, or the endpoint's effective verdict when vantage is "".
// It returns "" when the page has no such cell. With several services
// holding the endpoint the first is read; endpoint names are unique.
func (p *Page) State(endpoint, vantage string) (string, error) {
	args, err := json.Marshal([]string{endpoint, vantage})
	if err != nil {
		return "", err
	}
	// Compared in script rather than in a CSS selector, so any name works.
	js := `(([e, v]) => {
		const cells = [...document.querySelectorAll("#live td[data-endpoint]")];
		const c = cells.find(c => c.dataset.endpoint === e &&
			(v === "" ? c.dataset.effective !== undefined : c.dataset.vantage === v));
		return c ? (v === "" ? c.dataset.effective : c.dataset.state) : "";
	})(` + string(args) + `)`
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return "", fmt.Errorf("statuspagetest: reading %s: %w", where(endpoint, vantage), err)
	}
	return got, nil
}

// WaitState polls the page until State(endpoint, vantage) is want, for at
// most within. The error says what the page showed last.
func (p *Page) WaitState(endpoint, vantage, want string, within time.Duration) error {
	return p.wait(where(endpoint, vantage), want, within, func() (string, error) { return p.State(endpoint, vantage) })
}

// TargetState reads the state the page shows now for a target hostname in
// its Target hostnames table (fresh, stale, empty or unresolved), or ""
// when the page has no row for it.
func (p *Page) TargetState(target string) (string, error) {
	arg, err := json.Marshal(target)
	if err != nil {
		return "", err
	}
	js := `((t) => {
		const row = [...document.querySelectorAll("#live tr[data-target]")].find(r => r.dataset.target === t);
		const c = row && row.querySelector("[data-resolution]");
		return c ? c.dataset.resolution : "";
	})(` + string(arg) + `)`
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return "", fmt.Errorf("statuspagetest: reading target %q: %w", target, err)
	}
	return got, nil
}

// WaitTargetState polls the page until TargetState(target) is want, for at
// most within. The error says what the page showed last.
func (p *Page) WaitTargetState(target, want string, within time.Duration) error {
	return p.wait(fmt.Sprintf("target hostname %q", target), want, within, func() (string, error) { return p.TargetState(target) })
}

// Answer reads what the page's answers table shows now for name and client
// area (area "" is the answer of clients in no area, and the only one of a
// name that is not geo): the text of its answer cell, such as
// "192.0.2.1, 192.0.2.2" or "CNAME → www.example.net.", as laid out (each
// pool of a weighted answer on its own line) with runs of white space
// folded. It returns "" when the page has no such row.
func (p *Page) Answer(name, area string) (string, error) {
	args, err := json.Marshal([]string{name, area})
	if err != nil {
		return "", err
	}
	js := `(([n, a]) => {
		const row = [...document.querySelectorAll("#live tr[data-answer]")].find(r =>
			r.dataset.answer === n && (r.dataset.area === undefined ? a === "" : r.dataset.area === a));
		return row ? row.lastElementChild.innerText.replace(/\s+/g, " ").trim() : "";
	})(` + string(args) + `)`
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return "", fmt.Errorf("statuspagetest: reading the answer of %q for area %q: %w", name, area, err)
	}
	return got, nil
}

// WaitAnswer polls the page until Answer(name, area) is want, for at most
// within. The error says what the page showed last.
func (p *Page) WaitAnswer(name, area, want string, within time.Duration) error {
	return p.wait(fmt.Sprintf("answer of %q for area %q", name, area), want, within, func() (string, error) { return p.Answer(name, area) })
}

// wait polls read every 100 ms until it returns want, for at most within.
func (p *Page) wait(what, want string, within time.Duration, read func() (string, error)) error {
	deadline := time.Now().Add(within)
	for {
		got, err := read()
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		if time.Now().After(deadline) {
			if got == "" {
				got = "nothing (no such row or cell)"
			}
			return fmt.Errorf("statuspagetest: %s: want %q within %s, the page still shows %q", what, want, within, got)
		}
		select {
		case <-p.ctx.Done():
			return fmt.Errorf("statuspagetest: waiting for %s to show %q: %w", what, want, p.ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func where(endpoint, vantage string) string {
	if vantage == "" {
		return fmt.Sprintf("effective health of %q", endpoint)
	}
	return fmt.Sprintf("%q seen from %q", endpoint, vantage)
}

// Reloaded says whether the page was navigated or reloaded since Open,
// which a live update must never do: it looks at the main frame's
// navigations, the Navigation Timing entries and a mark Open left in the page.
func (p *Page) Reloaded() (bool, string, error) {
	type state struct {
		Mark    string `json:"mark"`
		Entries int    `json:"entries"`
	}
	js := `({mark: String(window.__outlastMark), entries: performance.getEntriesByType("navigation").length})`
	probe, err := chromedp.Run(p.ctx, chromedp.Evaluate[state](js))
	if err != nil {
		return false, "", fmt.Errorf("statuspagetest: reading navigation state: %w", err)
	}
	p.mu.Lock()
	navs := p.navigations
	p.mu.Unlock()
	seen := fmt.Sprintf("main-frame navigations %d (want 1), navigation entries %d (want 1), mark %q (want \"kept\")",
		navs, probe.Entries, probe.Mark)
	return navs != 1 || probe.Entries != 1 || probe.Mark != "kept", seen, nil
}

// Screenshot saves the whole page as PNG at path, laid out width pixels
// wide (a phone is about 390; 0 keeps the current width).
func (p *Page) Screenshot(path string, width int64) error {
	if width > 0 {
		var opts []chromedp.EmulateViewportOption
		if width < 600 {
			opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(width, 900, opts...)); err != nil {
			return fmt.Errorf("statuspagetest: viewport %d: %w", width, err)
		}
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("statuspagetest: screenshot: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("statuspagetest: %w", err)
	}
	return nil
}

// Primary reads what the page's Primaries section shows now for service:
// "PRIMARY epoch N", with ", promoting CANDIDATE epoch M" while a
// promotion waits for its on_promote hook ("none" before the first
// election). It returns "" when the page has no card for the service.
func (p *Page) Primary(service string) (string, error) {
	arg, err := json.Marshal(service)
	if err != nil {
		return "", err
	}
	js := `((s) => {
		const card = [...document.querySelectorAll("#live [data-primary-service]")].find(c => c.dataset.primaryService === s);
		const rec = card && card.querySelector("[data-primary]");
		if (!rec) return "";
		let out = (rec.dataset.primary || "none") + " epoch " + rec.dataset.epoch;
		const pending = card.querySelector("[data-pending]");
		if (pending) out += ", promoting " + pending.dataset.pending + " epoch " + pending.dataset.pendingEpoch;
		return out;
	})(` + string(arg) + `)`
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return "", fmt.Errorf("statuspagetest: reading the primary of %q: %w", service, err)
	}
	return got, nil
}

// WaitPrimary polls the page until Primary(service) is want, for at most
// within. The error says what the page showed last.
func (p *Page) WaitPrimary(service, want string, within time.Duration) error {
	return p.wait(fmt.Sprintf("primary of %q", service), want, within, func() (string, error) { return p.Primary(service) })
}

// Zone reads what the page's Zones table shows now for apex: "serial N",
// then ", signed K1 K2" with the key tags when it is signed, then each
// secondary as ", ADDRESS RESULT" (acknowledged, rejected, unanswered or
// none), and " (alert)" after a secondary the page also alerts about. It
// returns "" when the page has no row for the zone.
func (p *Page) Zone(apex string) (string, error) {
	arg, err := json.Marshal(apex)
	if err != nil {
		return "", err
	}
	js := `((z) => {
		const row = [...document.querySelectorAll("#live tr[data-zone]")].find(r => r.dataset.zone === z);
		if (!row) return "";
		let out = "serial " + row.dataset.serial;
		const signed = row.querySelector("[data-signed]");
		if (signed) out += ", signed " + signed.dataset.signed;
		const alerts = new Set([...document.querySelectorAll("#live [data-notify-failing]")].map(a => a.dataset.notifyFailing));
		for (const s of row.querySelectorAll("[data-secondary]")) {
			const n = s.querySelector("[data-notify]");
			out += ", " + s.dataset.secondary + " " + (n ? n.dataset.notify : "?");
			if (alerts.has(z + " " + s.dataset.secondary)) out += " (alert)";
		}
		return out;
	})(` + string(arg) + `)`
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return "", fmt.Errorf("statuspagetest: reading zone %q: %w", apex, err)
	}
	return got, nil
}

// WaitZone polls the page until Zone(apex) is want, for at most within.
// The error says what the page showed last.
func (p *Page) WaitZone(apex, want string, within time.Duration) error {
	return p.wait(fmt.Sprintf("zone %q", apex), want, within, func() (string, error) { return p.Zone(apex) })
}

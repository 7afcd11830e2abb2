package statuspage

import (
	"regexp"
	"testing"
	"time"

	"outlast/internal/state"
	"outlast/internal/wcag"
	"outlast/internal/wire"
)

// TestContrast holds the page's colour pairs to WCAG's 4.5:1 for normal text.
func TestContrast(t *testing.T) {
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-f]{6})`).FindAllStringSubmatch(style, -1) {
		vars[m[1]] = m[2]
	}
	pairs := [][2]string{
		{"fg", "bg"}, {"muted", "bg"}, {"fg", "head"}, {"muted", "head"}, {"accent", "bg"}, {"accent", "head"},
		{"up-fg", "up-bg"}, {"down-fg", "down-bg"}, {"unknown-fg", "unknown-bg"}, {"degraded-fg", "degraded-bg"},
	}
	for _, p := range pairs {
		fg, bg := vars[p[0]], vars[p[1]]
		if fg == "" || bg == "" {
			t.Errorf("style.css lacks --%s or --%s", p[0], p[1])
			continue
		}
		if r := contrast(fg, bg); r < wcag.AA {
			t.Errorf("--%s %s on --%s %s: contrast %.2f, want >= 4.5", p[0], fg, p[1], bg, r)
		}
	}
	// Every colour class a target hostname's state takes is one of the pairs above.
	tested := map[string]bool{}
	for _, p := range pairs {
		tested[p[0]+"/"+p[1]] = true
	}
	for _, st := range []string{wire.ResolutionFresh, wire.ResolutionStale, wire.ResolutionEmpty, wire.ResolutionUnresolved, "other"} {
		class, _ := resolutionClass(st)
		if !tested[class+"-fg/"+class+"-bg"] {
			t.Errorf("a %s target is shown as s-%s, whose colours this test does not check", st, class)
		}
	}
	// So is every colour class of a gate's setting and a hook's outcome.
	for _, class := range []string{gateOf(snapshot{state: state.New()}, "g").Class, hookOf(time.Time{}, state.HookRun{OK: true}).Class,
		hookOf(time.Time{}, state.HookRun{}).Class} {
		if !tested[class+"-fg/"+class+"-bg"] {
			t.Errorf("a gate or hook is shown as s-%s, whose colours this test does not check", class)
		}
	}
	// So is every colour class of a secondary's NOTIFY outcome.
	for _, r := range []string{wire.NotifyAcknowledged, wire.NotifyRejected, wire.NotifyUnanswered, wire.NotifyNone, "other"} {
		if class := secondaryOf(time.Time{}, wire.NotifyStatus{Result: r}).Class; !tested[class+"-fg/"+class+"-bg"] {
			t.Errorf("a secondary whose NOTIFY was %s is shown as s-%s, whose colours this test does not check", r, class)
		}
	}
	// White on the accent: the pressed pause button.
	if r := contrast("#ffffff", vars["accent"]); r < wcag.AA {
		t.Errorf("white on --accent: contrast %.2f", r)
	}
}

func contrast(a, b string) float64 {
	c, err := wcag.Contrast(a, b)
	if err != nil {
		panic(err) // the colours come from the regexp above: always #rrggbb
	}
	return c
}

package auditreport

import "outlast/internal/audit"

// impactStyle is how one impact looks: a word, a symbol and colours. The
// background is a light-to-dark ramp of yellow, orange and red (a
// sequential scale stays ordered for every common form of colour
// blindness because its lightness falls step by step); the text colour
// keeps WCAG AA contrast on it, which a test holds.
type impactStyle struct {
	Impact  audit.Impact
	Symbol  string
	BG, FG  string
	Meaning string
}

var impactStyles = []impactStyle{
	{audit.ImpactNone, "✓", "#eef1f4", "#1b1f24", "nothing of the service runs there; it does not notice"},
	{audit.ImpactDegraded, "◐", "#fff0b3", "#1b1f24", "some capacity is lost; the rest keeps serving"},
	{audit.ImpactFailover, "↪", "#fdc67a", "#1b1f24", "the primary tier is lost; outlast moves traffic to the next"},
	{audit.ImpactStuck, "⚠", "#e2702e", "#1b1f24", "endpoints die but outlast cannot decide to steer away from them"},
	{audit.ImpactDown, "✕", "#9e1a2c", "#ffffff", "nothing is left to answer with, or nobody to answer"},
}

// unknownStyle is for an impact this package does not know, should the
// audit grow one: shown by its name, uncoloured.
var unknownStyle = impactStyle{Symbol: "?", BG: "#ffffff", FG: "#1b1f24", Meaning: "an impact this report does not know"}

func styleOf(i audit.Impact) impactStyle {
	for _, s := range impactStyles {
		if s.Impact == i {
			return s
		}
	}
	u := unknownStyle
	u.Impact = i
	return u
}

// severityStyle colours a severity badge: dark text on a light tint, the
// severity's name always written out.
type severityStyle struct {
	Severity audit.Severity
	FG, BG   string
}

var severityStyles = []severityStyle{
	{audit.Critical, "#a40e26", "#ffebe9"},
	{audit.Warning, "#7d4e00", "#fff8c5"},
	{audit.Info, "#0550ae", "#ddf4ff"},
}

package statuspage

import (
	"math"
	"regexp"
	"strconv"
	"testing"
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
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("--%s %s on --%s %s: contrast %.2f, want >= 4.5", p[0], fg, p[1], bg, r)
		}
	}
	// White on the accent: the pressed pause button.
	if r := contrast("#ffffff", vars["accent"]); r < 4.5 {
		t.Errorf("white on --accent: contrast %.2f", r)
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

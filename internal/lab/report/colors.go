package report

import (
	"sort"

	"outlast/internal/lab"
)

// knownEndpoints are the lab's endpoints in the order they stack (the
// primary at the bottom), each with a fixed colour so a region looks the
// same in every chart of every report.
//
// The colours are the Okabe-Ito palette, which stays distinguishable for
// the common forms of colour blindness (the legend names them anyway),
// tinted 28% towards white so the areas stay calm under the black success
// line and the markers. They are opaque: the fault band behind them must
// not change how a region looks.
var knownEndpoints = []struct{ Name, Color string }{
	{"use1", "#479ac8"},  // blue
	{"usw2", "#edba47"},  // orange
	{"usc1", "#47b99a"},  // bluish green
	{"cdn-a", "#85c9ef"}, // sky blue
	{"cdn-b", "#da9fc0"}, // reddish purple
	{"euw1", "#e18b47"},  // vermillion
}

// spareColors go to endpoints the lab may add later, in name order.
var spareColors = []string{"#a89a47", "#8a72b9", "#ae8a82", "#7aa3ad"}

// endpointColors orders every endpoint that served in the report (known
// ones first, in their fixed order, then the rest by name) and gives each
// its colour.
func endpointColors(r lab.Report) ([]string, map[string]string) {
	seen := map[string]bool{}
	for _, s := range r.Scenarios {
		for _, sec := range s.Seconds {
			for name := range sec.ServedBy {
				seen[name] = true
			}
		}
	}
	var order []string
	colors := map[string]string{}
	for _, k := range knownEndpoints {
		if seen[k.Name] {
			order = append(order, k.Name)
			colors[k.Name] = k.Color
			delete(seen, k.Name)
		}
	}
	var rest []string
	for name := range seen {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	for i, name := range rest {
		order = append(order, name)
		colors[name] = spareColors[i%len(spareColors)]
	}
	return order, colors
}

// servedIn lists, in order, the endpoints that served in one scenario: the
// legend shows only those.
func servedIn(r lab.Result, order []string) []string {
	var out []string
	for _, name := range order {
		for _, s := range r.Seconds {
			if s.ServedBy[name] > 0 {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

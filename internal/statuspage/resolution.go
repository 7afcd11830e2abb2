package statuspage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"outlast/internal/wire"
)

// maxErrorRunes bounds how much of an upstream's error text the page
// shows: the text comes from DNS servers outlast does not run.
const maxErrorRunes = 300

// targetView is one row of the target hostnames table: what this node's
// resolver holds for one endpoint target.
type targetView struct {
	Target string
	// State is the resolver's word (fresh, stale, empty, unresolved);
	// Class is the page's colour for it (up, degraded, unknown, down) and
	// Symbol repeats it for the eye.
	State, Class, Symbol string
	// Meaning says what a state other than fresh does to the answers.
	Meaning string
	A, AAAA string
	// TTL is how long an answer built from the addresses may be cached now.
	TTL string
	// Error is the upstream's last failure (shortened), Since when lookups
	// began to fail; both empty while lookups succeed.
	Error, Since string
}

// targetNote is one line of the summary about target hostnames that are
// not fresh: "1 target hostname answered from stale addresses: its DNS fails".
type targetNote struct {
	State, Class, Symbol, Text string
}

// targets are the rows of the target hostnames table, sorted by target.
func targets(now time.Time, in []wire.Resolution) []targetView {
	out := make([]targetView, 0, len(in))
	for _, r := range in {
		class, sym := resolutionClass(r.State)
		tv := targetView{Target: r.Target, State: r.State, Class: class, Symbol: sym,
			Meaning: meanings[r.State], A: addrText(r.A), AAAA: addrText(r.AAAA), TTL: ttlText(r),
			Error: shorten(r.Error, maxErrorRunes)}
		if !r.FailingSince.IsZero() {
			tv.Since = "since " + clockTime(now, r.FailingSince) + " UTC (" + ago(now, r.FailingSince) + ")"
		}
		out = append(out, tv)
	}
	slices.SortStableFunc(out, func(a, b targetView) int { return cmp.Compare(a.Target, b.Target) })
	return out
}

// meanings say what a state other than fresh does to answers and probes.
var meanings = map[string]string{
	wire.ResolutionStale:      "lookups fail: answering and probing the last good addresses",
	wire.ResolutionUnresolved: "no addresses to answer or probe",
	wire.ResolutionEmpty:      "the name has no addresses",
}

// resolutionClass maps a resolver state onto the page's colours: stale
// answers still work but from old addresses (degraded, like a provider
// partly down), unresolved has nothing to answer (down), empty is the
// name's own answer and not a failure (unknown's grey). A state this page
// does not know is shown in grey under its own word.
func resolutionClass(state string) (class, sym string) {
	switch state {
	case wire.ResolutionFresh:
		return "up", "✓"
	case wire.ResolutionStale:
		return "degraded", "!"
	case wire.ResolutionUnresolved:
		return "down", "✗"
	default:
		return "unknown", "?"
	}
}

// ttlText is the remaining TTL, or a dash when there is nothing to cache.
func ttlText(r wire.Resolution) string {
	if r.TTLS <= 0 || (len(r.A) == 0 && len(r.AAAA) == 0) {
		return "–"
	}
	return span(time.Duration(r.TTLS * float64(time.Second)))
}

// targetNotes are the summary's lines: one for the stale targets and one
// for the unresolved ones, each only when there are some.
func targetNotes(rs []wire.Resolution) []targetNote {
	stale, unresolved := wire.NotFresh(rs)
	var out []targetNote
	if unresolved > 0 {
		out = append(out, noteOf(wire.ResolutionUnresolved, fmt.Sprintf("%d %s unresolved: no addresses to answer or probe",
			unresolved, plural(unresolved, "target hostname", "target hostnames"))))
	}
	if stale > 0 {
		out = append(out, noteOf(wire.ResolutionStale, fmt.Sprintf("%d %s answered from stale addresses: %s DNS fails", stale,
			plural(stale, "target hostname", "target hostnames"), plural(stale, "its", "their"))))
	}
	return out
}

// noteOf is a summary line about targets in state, coloured as the table
// colours that state.
func noteOf(state, text string) targetNote {
	class, sym := resolutionClass(state)
	return targetNote{State: state, Class: class, Symbol: sym, Text: text}
}

// resolutionOf indexes the resolver's states by target, for the matrix rows.
func resolutionOf(rs []wire.Resolution) map[string]string {
	out := make(map[string]string, len(rs))
	for _, r := range rs {
		out[r.Target] = r.State
	}
	return out
}

// shorten cuts s to at most n runes, marking the cut, without splitting a
// character; it also replaces invalid UTF-8, which a page cannot show.
func shorten(s string, n int) string {
	if len(s) > utf8.UTFMax*n {
		s = s[:utf8.UTFMax*n] // bounded before the copy below
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i] + "…"
}

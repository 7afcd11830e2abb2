package chaos

import (
	"fmt"
	"strings"
	"time"
)

// Summary is the one line the suite prints at the end of a run: key=value
// pairs, the counts the done-when asks to be zero among them. faults names
// the injections made, skipped those left out (and why, in the run's log).
func (r Report) Summary(seed int64, duration time.Duration, faults, skipped []string) string {
	line := fmt.Sprintf("chaos seed=%d duration=%s queries=%d unsent=%d failed_live=%d split_brain_over_bound=%d split_windows=%d max_split_ms=%d bound_ms=%d down_answers=%d lost_overrides=%d faults=%d",
		seed, duration.Round(time.Second), r.Queries, r.Unsent, len(r.FailedLive), len(r.OverBound), len(r.Windows),
		r.MaxSplit.Milliseconds(), r.Bound.Milliseconds(), len(r.DownAnswers), len(r.LostOverrides), len(faults))
	if len(faults) > 0 {
		line += " injected=" + strings.Join(faults, ",")
	}
	if len(skipped) > 0 {
		line += " skipped=" + strings.Join(skipped, ",")
	}
	return line
}

// Details lists every violation, at most limit per check, with when,
// where and which faults were under way.
func (r Report) Details(start time.Time, limit int) string {
	var b strings.Builder
	list := func(name string, vs []Violation) {
		for i, v := range vs {
			if i == limit {
				fmt.Fprintf(&b, "%s: ... and %d more\n", name, len(vs)-limit)
				break
			}
			fmt.Fprintf(&b, "%s: t+%s %s: %s\n", name, offset(start, v.At), v.Node, v.Detail)
		}
	}
	list("failed_live", r.FailedLive)
	for i, w := range r.OverBound {
		if i == limit {
			fmt.Fprintf(&b, "split_brain: ... and %d more\n", len(r.OverBound)-limit)
			break
		}
		fmt.Fprintf(&b, "split_brain: t+%s lasted %s (bound %s): %s\n", offset(start, w.Start),
			w.Len().Round(time.Millisecond), r.Bound, w.Detail)
	}
	list("down_answer", r.DownAnswers)
	list("lost_override", r.LostOverrides)
	return b.String()
}

func offset(start, t time.Time) time.Duration { return t.Sub(start).Round(time.Millisecond) }

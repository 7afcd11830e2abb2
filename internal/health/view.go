package health

import (
	"time"

	"outlast/internal/model"
)

// Hysteresis is rise/fall hysteresis over one stream of probe results: the
// state the results have established, and how many of the latest disagree
// with it. The health engine keeps one per (vantage point, endpoint); the
// scheduler keeps one per job to know when a change is being confirmed.
type Hysteresis struct {
	State model.Health // Unknown until the first result
	// Streak counts consecutive results that disagree with State; any
	// result that agrees resets it.
	Streak int
}

// Add folds one result in. The first result sets the state directly, so a
// fresh node knows quickly; after that Up needs fall consecutive failures to
// turn Down and Down needs rise consecutive successes to turn Up.
func (h *Hysteresis) Add(up bool, fall, rise int) {
	got := model.Down
	if up {
		got = model.Up
	}
	switch {
	case h.State == model.Unknown:
		h.State, h.Streak = got, 0
	case got == h.State:
		h.Streak = 0
	default:
		h.Streak++
		need := fall
		if h.State == model.Down {
			need = rise
		}
		if h.Streak >= need {
			h.State, h.Streak = got, 0
		}
	}
}

// Settling reports whether the latest results disagree with the state but
// are not yet enough to change it.
func (h Hysteresis) Settling() bool { return h.Streak > 0 }

// view is one vantage point's opinion of one endpoint, after rise/fall
// hysteresis.
type view struct {
	Hysteresis
	last model.Result
	at   time.Time
	seen bool
}

// apply folds one probe result into the view. It reports false, changing
// nothing, for a result older than the last one applied (they arrive out of
// order over the network).
func (v *view) apply(r model.Result, at time.Time, fall, rise int) bool {
	if v.seen && at.Before(v.at) {
		return false
	}
	v.seen, v.last, v.at = true, r, at
	v.Add(r.Up, fall, rise)
	return true
}

// fresh reports whether the view may vote at now: it has been seen within
// window. A view with a timestamp after now counts as fresh.
func (v *view) fresh(now time.Time, window time.Duration) bool {
	return v.seen && now.Sub(v.at) <= window
}

package health

import (
	"time"

	"outlast/internal/model"
)

// view is one vantage point's opinion of one endpoint, after rise/fall
// hysteresis.
type view struct {
	state model.Health
	// streak counts consecutive results that disagree with state; it is
	// reset by any result that agrees.
	streak int
	last   model.Result
	at     time.Time
	seen   bool
}

// apply folds one probe result into the view. The first result sets the
// state directly, so a fresh node knows quickly; after that an Up view needs
// fall consecutive failures to turn Down and a Down view rise consecutive
// successes to turn Up. It reports false, changing nothing, for a result
// older than the last one applied (they arrive out of order over the network).
func (v *view) apply(r model.Result, at time.Time, fall, rise int) bool {
	if v.seen && at.Before(v.at) {
		return false
	}
	v.seen, v.last, v.at = true, r, at
	switch {
	case v.state == model.Unknown:
		v.state, v.streak = resultHealth(r), 0
	case resultHealth(r) == v.state:
		v.streak = 0
	default:
		v.streak++
		need := fall
		if v.state == model.Down {
			need = rise
		}
		if v.streak >= need {
			v.state, v.streak = resultHealth(r), 0
		}
	}
	return true
}

// fresh reports whether the view may vote at now: it has been seen within
// window. A view with a timestamp after now counts as fresh.
func (v *view) fresh(now time.Time, window time.Duration) bool {
	return v.seen && now.Sub(v.at) <= window
}

func resultHealth(r model.Result) model.Health {
	if r.Up {
		return model.Up
	}
	return model.Down
}

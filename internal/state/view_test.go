package state

import (
	"testing"
	"time"

	"outlast/internal/model"
)

// TestReturnedAt: only an endpoint whose agreed verdict went from down to
// up has returned; one found up, one still down, or one an active
// override holds has not.
func TestReturnedAt(t *testing.T) {
	t0 := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	s := New()
	s.Verdicts.set("back", model.Verdict{Endpoint: "back", Health: model.Up, From: model.Down, Since: t0})
	s.Verdicts.set("found", model.Verdict{Endpoint: "found", Health: model.Up, From: model.Unknown, Since: t0})
	s.Verdicts.set("down", model.Verdict{Endpoint: "down", Health: model.Down, From: model.Up, Since: t0})
	s.Verdicts.set("held", model.Verdict{Endpoint: "held", Health: model.Up, From: model.Down, Since: t0})
	s.Verdicts.set("was-held", model.Verdict{Endpoint: "was-held", Health: model.Up, From: model.Down, Since: t0})
	s.Overrides["held"] = Override{Kind: ForceUp}
	s.Overrides["was-held"] = Override{Kind: ForceUp, Expires: t0.Add(time.Minute)}
	now := t0.Add(2 * time.Minute)
	for name, want := range map[string]time.Time{"back": t0, "found": {}, "down": {}, "held": {}, "was-held": t0, "unknown": {}} {
		if got := s.ReturnedAt(name, now); !got.Equal(want) {
			t.Errorf("ReturnedAt(%s) = %v, want %v", name, got, want)
		}
	}
}

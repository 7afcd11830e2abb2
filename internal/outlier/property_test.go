package outlier

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestProperties drives a Detector with random results at non-decreasing
// times and checks, after every step:
//   - never more than Allowed(n, percent) endpoints are ejected;
//   - an endpoint that never failed is never ejected;
//   - an ejection lasts at least BaseEjection and at most MaxEjection;
//   - Ejected, Snapshot and the Changes agree.
func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Config{
			Consecutive:       rapid.IntRange(1, 6).Draw(t, "consecutive"),
			BaseEjection:      time.Duration(rapid.IntRange(1, 60).Draw(t, "base")) * time.Second,
			MaxEjectedPercent: rapid.IntRange(1, 100).Draw(t, "percent"),
		}
		cfg.MaxEjection = cfg.BaseEjection * time.Duration(rapid.IntRange(1, 12).Draw(t, "maxMult"))
		n := rapid.IntRange(1, 10).Draw(t, "endpoints")
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("e%d", i)
		}
		d, err := New(cfg, names)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		// The endpoints allowed to fail; the rest only ever succeed.
		failing := rapid.SliceOfDistinct(rapid.SampledFrom(names), rapid.ID).Draw(t, "failing")
		canFail := map[string]bool{}
		for _, f := range failing {
			canFail[f] = true
		}
		now := t0
		until := map[string]time.Time{}
		for step := range rapid.IntRange(1, 300).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 20_000).Draw(t, "advanceMs")) * time.Millisecond)
			name := rapid.SampledFrom(names).Draw(t, "name")
			ok := !canFail[name] || rapid.IntRange(0, 9).Draw(t, "roll") < 2
			c := d.Result(name, ok, now)
			if c.Ejected {
				if d := c.Until.Sub(now); d < cfg.BaseEjection || d > cfg.MaxEjection {
					t.Fatalf("step %d: ejection of %s lasts %s, want within [%s, %s]", step, name, d, cfg.BaseEjection, cfg.MaxEjection)
				}
				if ok || c.Name != name || c.At != now {
					t.Fatalf("step %d: change %+v from result ok=%v of %s", step, c, ok, name)
				}
				until[name] = c.Until
			} else if c != (Change{}) {
				t.Fatalf("step %d: non-zero change %+v without an ejection", step, c)
			}
			checkState(t, d, cfg, names, canFail, until, now)
		}
	})
}

func checkState(t *rapid.T, d *Detector, cfg Config, names []string, canFail map[string]bool, until map[string]time.Time, now time.Time) {
	ejected := 0
	snap := d.Snapshot(now)
	for i, name := range names {
		e := d.Ejected(name, now)
		u, ok := until[name]
		if want := ok && now.Before(u); e != want {
			t.Fatalf("%s at %s: Ejected %v, want %v (last ejection until %s)", name, now.Sub(t0), e, want, u.Sub(t0))
		}
		if e && !canFail[name] {
			t.Fatalf("%s ejected without a single failure", name)
		}
		if s := snap[i]; s.Name != name || s.Ejected != e || (ok && s.Until != u) {
			t.Fatalf("snapshot %+v disagrees: ejected %v until %s", s, e, u)
		}
		if m := snap[i].Multiplier; m < 0 || time.Duration(m-1)*cfg.BaseEjection >= cfg.MaxEjection {
			t.Fatalf("%s: multiplier %d beyond the cap %s/%s", name, m, cfg.MaxEjection, cfg.BaseEjection)
		}
		if e {
			ejected++
		}
	}
	if a := Allowed(len(names), cfg.MaxEjectedPercent); ejected > a {
		t.Fatalf("%d of %d ejected at %d%%, allowed %d", ejected, len(names), cfg.MaxEjectedPercent, a)
	}
}

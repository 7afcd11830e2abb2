package retrybudget

import (
	"testing"

	"pgregory.net/rapid"
)

// TestProperties runs random sequences of Start, Done, TryRetry and release
// (double releases included) against a plain-integer model written from
// the rule in the package doc, and checks after every step that the Tracker
// agrees with the model and that no admission took the retries in flight
// past the limit of that moment.
func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := Budget{
			Percent:        float64(rapid.IntRange(1, 100).Draw(t, "percent")),
			MinConcurrency: rapid.IntRange(1, 5).Draw(t, "min"),
		}
		tr, err := New(b)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		var (
			inFlight, retries   int64
			admitted, exhausted uint64
			releases            []func()
		)
		for step := range rapid.IntRange(1, 400).Draw(t, "steps") {
			switch op := rapid.IntRange(0, 3).Draw(t, "op"); {
			case op == 0:
				tr.Start()
				inFlight++
			case op == 1 && inFlight > 0:
				tr.Done()
				inFlight--
			case op == 2:
				// The model's limit, computed its own way: the largest
				// whole k with k*100 <= inFlight*percent, floored at min.
				limit := max(int64(b.MinConcurrency), inFlight*int64(b.Percent)/100)
				ok, release := tr.TryRetry()
				if want := retries < limit; ok != want {
					t.Fatalf("step %d: TryRetry %v with %d retries of limit %d (%d in flight), want %v", step, ok, retries, limit, inFlight, want)
				}
				if ok {
					retries++
					admitted++
					releases = append(releases, release)
					if retries > limit {
						t.Fatalf("step %d: %d retries in flight, limit %d", step, retries, limit)
					}
				} else {
					exhausted++
				}
			case op == 3 && len(releases) > 0:
				i := rapid.IntRange(0, len(releases)-1).Draw(t, "release")
				releases[i]()
				if rapid.Bool().Draw(t, "double") {
					releases[i]() // must change nothing
				}
				releases = append(releases[:i], releases[i+1:]...)
				retries--
			}
			s := tr.Stats()
			if s.InFlight != inFlight || s.RetriesInFlight != retries || s.Admitted != admitted || s.Exhausted != exhausted {
				t.Fatalf("step %d: stats %+v, model in flight %d, retries %d, admitted %d, exhausted %d", step, s, inFlight, retries, admitted, exhausted)
			}
		}
	})
}

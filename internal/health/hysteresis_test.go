package health

import "testing"

// TestHysteresisSettling: the scheduler probes faster exactly while a change
// is being confirmed, which is what Settling reports.
func TestHysteresisSettling(t *testing.T) {
	var h Hysteresis
	for i, tc := range []struct {
		up, settling bool
	}{
		{true, false}, {false, true}, {false, false}, // fall 2: down confirmed
		{false, false}, {true, true}, {false, false}, // a good probe, then a failure: still down
		{true, true}, {true, true}, {true, false}, // rise 3: up confirmed
	} {
		h.Add(tc.up, 2, 3)
		if got := h.Settling(); got != tc.settling {
			t.Errorf("result %d (up=%t): settling %t, want %t", i, tc.up, got, tc.settling)
		}
	}
}

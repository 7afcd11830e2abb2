package node

import (
	"strings"
	"testing"
	"time"
)

func TestNotReady(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	base := readinessFacts{Now: now, StaleAfter: 5 * time.Second, Started: now.Add(-time.Minute), Applied: 42,
		LastContact: now.Add(-100 * time.Millisecond)}
	for _, tc := range []struct {
		name  string
		edit  func(*readinessFacts)
		wants []string // one substring per reason, in order; none: ready
	}{
		{"in contact", func(*readinessFacts) {}, nil},
		{"alone, stale flag ignored", func(f *readinessFacts) { f.Alone, f.Stale = true, true }, nil},
		{"cut off", func(f *readinessFacts) { f.Stale, f.LastContact = true, now.Add(-12*time.Second) },
			[]string{"cut off from the cluster: no leader heard for 12s (cluster.stale_after is 5s)"}},
		{"never joined", func(f *readinessFacts) { f.Stale, f.Applied, f.LastContact = true, 0, time.Time{} },
			[]string{"has not joined the cluster in 1m0s"}},
		{"no leader ever heard, with state", func(f *readinessFacts) { f.Stale, f.LastContact = true, time.Time{} },
			[]string{"no leader known"}},
		{"disk full, in contact", func(f *readinessFacts) {
			f.Persist = &persistFailure{Err: "log store: no space left on device", Since: now.Add(-3 * time.Second)}
		}, []string{"cannot write the Raft log for 3s (log store: no space left on device)"}},
		{"holding after a start", func(f *readinessFacts) { f.Holding = true },
			[]string{"catching up with the cluster since it started 1m0s ago"}},
		{"disk full and cut off", func(f *readinessFacts) {
			f.Persist = &persistFailure{Err: "x", Since: now}
			f.Stale, f.LastContact = true, now.Add(-6*time.Second)
		}, []string{"cannot write the Raft log", "cut off from the cluster"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			tc.edit(&f)
			got := notReady(f)
			if len(got) != len(tc.wants) {
				t.Fatalf("reasons %q, want %d matching %q", got, len(tc.wants), tc.wants)
			}
			for i, want := range tc.wants {
				if !strings.Contains(got[i], want) {
					t.Errorf("reason %d is %q, want it to contain %q", i, got[i], want)
				}
			}
		})
	}
}

// TestStalled: /healthz/live turns 503 only once the answer loop has not
// turned for stalledAfter, and not before its first turn.
func TestStalled(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if stalledAt(0, now) {
		t.Error("a node whose loop has not turned yet is starting, not stuck")
	}
	beat := now.UnixNano()
	if stalledAt(beat, now.Add(stalledAfter)) {
		t.Errorf("stuck after exactly %s, want only beyond it", stalledAfter)
	}
	if !stalledAt(beat, now.Add(stalledAfter+time.Millisecond)) {
		t.Errorf("not stuck %s after the last turn", stalledAfter+time.Millisecond)
	}
}

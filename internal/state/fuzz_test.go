package state

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"outlast/internal/primary"
)

// fuzzHistory is history() followed by a primary service with a promotion
// pending, so entries reach the primary commands' every path.
func fuzzHistory() []Command {
	return append(history(),
		Command{Kind: SetConfig, At: t0.Add(time.Hour), Config: sharedPrimary("a", "b", "c"), ConfigHash: "fp"},
		change(time.Hour, primary.Command{Kind: primary.Adopt, Candidate: "a", Epoch: 1, Who: primary.Auto}),
		change(time.Hour, primary.Command{Kind: primary.Promote, Candidate: "b", Epoch: 2, Who: primary.Auto}))
}

// FuzzApply feeds arbitrary log entries to a Machine that holds a real
// history. Every node applies every committed entry, so a panic here would
// stop the whole cluster at once: whatever the bytes, Apply must return
// (an error or not), and an entry it refuses must leave the state as it was
// but for the index, so every node stays at the same place in the log. The
// same bytes must also give the same state twice (determinism).
func FuzzApply(f *testing.F) {
	for _, cmd := range fuzzHistory() {
		data, err := Encode(cmd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{`{}`, `null`, `{"kind":"verdicts","verdicts":[{}]}`,
		`{"kind":"set-override","override":{"endpoint":"a","kind":"drain"}}`, `{"kind":"set-config","config":{}}`,
		`{"kind":"set-member","member":{}}`, `{"kind":"remove-member","member":{"name":""}}`, `{"kind":"clear-override"}`,
		`{"kind":"primary","primary":{"service":"api.example.test.","change":{"kind":"promoted","epoch":2}}}`,
		`{"kind":"primary","primary":{"service":"api.example.test.","change":{"kind":"fenced","candidate":"a","epoch":2}}}`,
		`{"kind":"primary","primary":{"service":"api.example.test.","change":{"kind":"promote","candidate":"c","epoch":3,"who":"auto"}}}`,
		`{"kind":"primary","primary":{"service":"api.example.test.","change":{"kind":"abandon","epoch":2}}}`,
		`{"kind":"primary","primary":{"service":"nope","change":{}}}`, `{"kind":"primary"}`,
		`{"kind":"set-gate","why":"w","gate":{"name":"maint","on":false}}`, `{"kind":"set-gate","gate":{}}`,
		// Protocol versions: newer than this build (halts), negative, a
		// known kind of version 1 marked 2 (applied: this build speaks 2).
		`{"kind":"set-override","v":3,"override":{"endpoint":"use1","kind":"drain"}}`, `{"kind":"expire-overrides","v":-4}`,
		`{"kind":"set-gate","v":2,"gate":{"name":"maint","on":false}}`, `{"kind":"restore-state","v":2}`,
		`{"kind":"primary-report","report":{"service":"api.example.test.","held":"x","claimants":["a","b"]}}`,
		`{"kind":"primary-report","report":{"service":"api.example.test.","hook":{"hook":"on_promote","output":"` + strings.Repeat("y", 2000) + `"}}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // the cluster bounds what reaches the log at 16 MB; keep the fuzzer fast
		}
		var after [2][]byte
		for i := range after {
			m := NewMachine(nil)
			for j, cmd := range fuzzHistory() {
				entry, _ := Encode(cmd)
				_ = m.Apply(uint64(j+1), entry)
			}
			before := marshal(t, m.Current())
			next := uint64(len(fuzzHistory()) + 1)
			err := m.Apply(next, data)
			var halt *Halt
			if errors.As(err, &halt) {
				// Not understood: nothing applied, not even the index.
				if m.Halted() == nil || !bytes.Equal(marshal(t, m.Current()), before) {
					t.Fatalf("an entry not understood (%v) must halt the machine and change nothing", err)
				}
			} else if err != nil {
				got := m.Current().Clone()
				if got.Index != next {
					t.Fatalf("a refused entry must still move the index to %d, got %d", next, got.Index)
				}
				got.Index = next - 1
				if !bytes.Equal(marshal(t, got), before) {
					t.Fatalf("a refused entry (%v) changed the state", err)
				}
			}
			after[i] = marshal(t, m.Current())
		}
		if !bytes.Equal(after[0], after[1]) {
			t.Fatalf("the same entry applied twice to the same state gave different states")
		}
	})
}

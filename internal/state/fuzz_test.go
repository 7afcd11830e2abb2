package state

import (
	"bytes"
	"testing"
)

// FuzzApply feeds arbitrary log entries to a Machine that holds a real
// history. Every node applies every committed entry, so a panic here would
// stop the whole cluster at once: whatever the bytes, Apply must return
// (an error or not), and an entry it refuses must leave the state as it was
// but for the index, so every node stays at the same place in the log. The
// same bytes must also give the same state twice (determinism).
func FuzzApply(f *testing.F) {
	for _, cmd := range history() {
		data, err := Encode(cmd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{`{}`, `null`, `{"kind":"verdicts","verdicts":[{}]}`,
		`{"kind":"set-override","override":{"endpoint":"a","kind":"drain"}}`, `{"kind":"set-config","config":{}}`,
		`{"kind":"set-member","member":{}}`, `{"kind":"remove-member","member":{"name":""}}`, `{"kind":"clear-override"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // the cluster bounds what reaches the log at 16 MB; keep the fuzzer fast
		}
		var after [2][]byte
		for i := range after {
			m := NewMachine(nil)
			for j, cmd := range history() {
				entry, _ := Encode(cmd)
				_ = m.Apply(uint64(j+1), entry)
			}
			before := marshal(t, m.Current())
			next := uint64(len(history()) + 1)
			if err := m.Apply(next, data); err != nil {
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

package state

import (
	"fmt"
	"io"
	"testing"
	"time"

	"outlast/internal/model"
)

// benchMachine is a Machine holding a configuration of n endpoints, each
// with a five-vantage verdict, a full event history, a member and an
// override: the state of a large deployment that has run a while.
func benchMachine(b testing.TB, n int) (*Machine, []string) {
	b.Helper()
	names := make([]string, n)
	all := make([]model.Verdict, n)
	for i := range names {
		names[i] = fmt.Sprintf("ep%05d", i)
		all[i] = fiveVantageVerdict(names[i], model.Up)
	}
	m := NewMachine(nil)
	mustApply(b, m, 1, setConfig(0, "h", names...))
	mustApply(b, m, 2, Command{Kind: SetVerdicts, At: t0, Who: "leader", Verdicts: all})
	mustApply(b, m, 3, Command{Kind: SetMember, At: t0, Member: &Member{Name: "n1", Address: "10.0.0.1:7946"}})
	mustApply(b, m, 4, override(0, names[n-1], Drain, 0))
	for i := range MaxEvents {
		h := model.Down
		if i%2 == 1 {
			h = model.Up
		}
		mustApply(b, m, uint64(5+i), Command{Kind: SetVerdicts, At: t0, Who: "leader",
			Verdicts: []model.Verdict{fiveVantageVerdict(names[1], h)}})
	}
	return m, names
}

// BenchmarkApply is the cost on every node of applying one command of each
// kind to the state of 10,000 endpoints (benchMachine), publishing
// included: two commands that undo each other alternate, so every one
// changes the state and records an event.
func BenchmarkApply(b *testing.B) {
	const n = 10000
	m, names := benchMachine(b, n)
	index := uint64(5 + MaxEvents)
	for _, tc := range []struct {
		name string
		cmds [2]Command
	}{
		{"verdict", [2]Command{
			{Kind: SetVerdicts, At: t0, Who: "leader", Verdicts: []model.Verdict{fiveVantageVerdict(names[0], model.Down)}},
			{Kind: SetVerdicts, At: t0, Who: "leader", Verdicts: []model.Verdict{fiveVantageVerdict(names[0], model.Up)}},
		}},
		{"override", [2]Command{
			override(0, names[0], ForceDown, time.Hour),
			{Kind: ClearOverride, At: t0, Who: "bob", Endpoint: names[0]},
		}},
		{"member", [2]Command{
			{Kind: SetMember, At: t0, Member: &Member{Name: "n2", Address: "10.0.0.2:7946"}},
			{Kind: RemoveMember, At: t0, Member: &Member{Name: "n2"}},
		}},
	} {
		b.Run(fmt.Sprintf("%s/%d endpoints", tc.name, n), func(b *testing.B) {
			index = applyAlternating(b, m, index+1, tc.cmds)
		})
	}
}

// BenchmarkSnapshot is what raft's goroutine that applies the log spends on
// a snapshot of 10,000 endpoints with their verdicts: the capture alone,
// since a published State never changes. Compare BenchmarkPersist.
func BenchmarkSnapshot(b *testing.B) {
	m, _ := benchMachine(b, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPersist is the serialization of that snapshot, which raft does
// on its snapshot goroutine while Applies go on.
func BenchmarkPersist(b *testing.B) {
	m, _ := benchMachine(b, 10000)
	snap, err := m.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n, err := snap.WriteTo(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
	}
}

package state

import (
	"fmt"
	"testing"
	"time"

	"outlast/internal/model"
)

// BenchmarkApplyOneVerdict is the cost of one verdict change committed on a
// node holding many verdicts: the leader commits at most one such command
// per evaluation (every 50 ms), so this times 20 is the worst a second of
// changes costs each node. Every Apply publishes a new State, which shares
// what the command leaves alone with the one before (derive).
func BenchmarkApplyOneVerdict(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("%d endpoints", n), func(b *testing.B) {
			m, names := benchMachine(b, n)
			applyAlternating(b, m, m.Current().Index+1, [2]Command{
				{Kind: SetVerdicts, At: t0, Who: "leader", Verdicts: []model.Verdict{fiveVantageVerdict(names[0], model.Down)}},
				{Kind: SetVerdicts, At: t0, Who: "leader", Verdicts: []model.Verdict{fiveVantageVerdict(names[0], model.Up)}},
			})
		})
	}
}

func fiveVantageVerdict(endpoint string, h model.Health) model.Verdict {
	v := model.Verdict{Endpoint: endpoint, Health: h, Since: t0, UpVotes: 5, Voters: 5}
	for i := range 5 {
		v.Evidence = append(v.Evidence, model.Evidence{Vantage: fmt.Sprintf("n%d", i+1), State: h, At: t0.Add(time.Second), Fresh: true})
	}
	return v
}

// applyAlternating times applying cmds to m in turn, b.N of them from log
// index first on, and returns the last index applied. The two commands
// should undo each other, so that every Apply changes the state.
func applyAlternating(b *testing.B, m *Machine, first uint64, cmds [2]Command) uint64 {
	b.Helper()
	var data [2][]byte
	for i, c := range cmds {
		var err error
		if data[i], err = Encode(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	index := first - 1
	for i := range b.N {
		index++
		if err := m.Apply(index, data[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	return index
}

func mustApply(b testing.TB, m *Machine, index uint64, cmd Command) {
	b.Helper()
	data, err := Encode(cmd)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Apply(index, data); err != nil {
		b.Fatal(err)
	}
}

// TestPublishedStateKeepsItsEvidence: published states share evidence with
// the working state (Clone does not copy it), which is safe only while
// Apply replaces a verdict whole rather than editing its evidence. A reader
// holding an older state must keep seeing the evidence it was given.
func TestPublishedStateKeepsItsEvidence(t *testing.T) {
	m := NewMachine(nil)
	apply := func(index uint64, cmd Command) {
		data, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Apply(index, data); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, setConfig(0, "h", "use1", "usw2"))
	apply(2, Command{Kind: SetVerdicts, At: t0, Verdicts: []model.Verdict{fiveVantageVerdict("use1", model.Up)}})
	held := m.Current()
	evidence := func() string { v, _ := held.Verdicts.Get("use1"); return fmt.Sprint(v.Evidence) }
	before := evidence()
	apply(3, Command{Kind: SetVerdicts, At: t0, Verdicts: []model.Verdict{fiveVantageVerdict("use1", model.Down)}})
	apply(4, setConfig(time.Minute, "h2", "usw2")) // drops use1's verdict
	if after := evidence(); after != before {
		t.Errorf("a held state's evidence changed under it:\nbefore %s\nafter  %s", before, after)
	}
	if _, ok := m.Current().Verdicts.Get("use1"); ok {
		t.Errorf("use1's verdict outlived the configuration that dropped it")
	}
}

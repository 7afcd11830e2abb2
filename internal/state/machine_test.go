package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

// goldenHistory is the log behind testdata/snapshot-v1.json: every command
// kind, and a state that keeps a verdict with evidence, an override with
// an expiry, a member and the history of events.
func goldenHistory() []Command {
	return append(history(),
		Command{Kind: SetMember, At: t0.Add(7 * time.Minute), Member: &Member{Name: "n2", Address: "10.0.0.2:7946",
			Location: model.Location{Provider: "gcp", Region: "us-central1"}}},
		override(8*time.Minute, "usw2", ForceDown, 9*time.Hour),
		verdict(9*time.Minute, "usw2", model.Up),
		Command{Kind: SetVerdicts, At: t0.Add(10 * time.Minute), Who: "leader",
			Verdicts: []model.Verdict{fiveVantageVerdict("use1", model.Up)}},
	)
}

// applyEach applies cmds to m from index first on, refusals included.
func applyEach(t fataler, m *Machine, first uint64, cmds []Command) {
	for i, cmd := range cmds {
		_ = m.Apply(first+uint64(i), encoded(t, cmd))
	}
}

// sameState reports whether a and b hold the same state, compared deeply,
// leaving out what is derived (the endpoint-name cache) or bookkeeping
// (which maps are shared with an older State); verdicts are compared by
// what they hold, not by how their shards are laid out.
func sameState(a, b *State) bool {
	strip := func(s *State) State {
		c := *s
		c.names, c.namesOf, c.shared, c.Verdicts = nil, 0, sharedMaps{}, Verdicts{}
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b)) && reflect.DeepEqual(plain(a.Verdicts), plain(b.Verdicts))
}

// TestPublishedStateNeverChanges: a reader keeps every State the machine
// published while more commands change each part of the state (verdicts,
// overrides set, cleared and expired, members, configurations that drop
// endpoints, and enough events to drop the oldest and move the history to
// a new array). Each held State must still read exactly as when it was
// published, evidence included.
func TestPublishedStateNeverChanges(t *testing.T) {
	m := NewMachine(nil)
	var held []*State
	var frozen [][]byte
	keep := func() {
		held = append(held, m.Current())
		frozen = append(frozen, marshal(t, m.Current()))
	}
	for i, cmd := range goldenHistory() {
		applyEach(t, m, uint64(i+1), []Command{cmd})
		keep()
	}
	next := uint64(len(goldenHistory()) + 1)
	for i := range MaxEvents + 300 {
		h := []model.Health{model.Down, model.Up}[i%2]
		applyEach(t, m, next, []Command{{Kind: SetVerdicts, At: t0.Add(time.Hour), Who: "leader",
			Verdicts: []model.Verdict{fiveVantageVerdict("use1", h)}}})
		next++
		if i%97 == 0 {
			keep()
		}
	}
	applyEach(t, m, next, []Command{
		override(2*time.Hour, "use1", Drain, 0),
		{Kind: ExpireOverrides, At: t0.Add(10 * time.Hour)}, // usw2's force-down lapses
		{Kind: ClearOverride, At: t0.Add(10 * time.Hour), Endpoint: "use1"},
		{Kind: RemoveMember, At: t0.Add(10 * time.Hour), Member: &Member{Name: "n2"}},
		setConfig(11*time.Hour, "h3", "usw2"), // drops use1's verdict
	})
	keep()
	for i, s := range held {
		if got := marshal(t, s); !bytes.Equal(got, frozen[i]) {
			t.Errorf("published State %d (index %d) changed after it was published:\nthen %s\nnow  %s",
				i, s.Index, frozen[i], got)
		}
	}
	if last := m.Current(); len(last.Events) != MaxEvents || last.Verdicts.Len() != 1 || len(last.Overrides) != 0 || len(last.Members) != 0 {
		t.Errorf("the commands did not reach the state: %d events, verdicts %v, overrides %v, members %v",
			len(last.Events), plain(last.Verdicts), last.Overrides, last.Members)
	}
}

// TestPropertyCopyOnWriteMatchesClone: for any sequence of commands, the
// Machine (each State derived from the last, sharing what a command leaves
// alone) publishes after every command a State deeply equal to the one the
// plain way gives: apply to a State of one's own, publish a full copy of
// it. And every State published along the way still equals its copy at the
// end. Half the runs start from a snapshot with an almost full history, so
// the oldest events get dropped.
func TestPropertyCopyOnWriteMatchesClone(t *testing.T) {
	full := NewMachine(nil)
	applyEach(t, full, 1, []Command{setConfig(0, "h0", "a", "b", "c")})
	for i := range MaxEvents - 3 {
		applyEach(t, full, uint64(i+2), []Command{verdict(0, "a", []model.Health{model.Down, model.Up}[i%2])})
	}
	fullHistory := persist(t, full)
	rapid.Check(t, func(t *rapid.T) {
		m, ref := NewMachine(nil), New()
		if rapid.Bool().Draw(t, "full history") {
			if err := m.Restore(fullHistory); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(fullHistory, ref); err != nil {
				t.Fatal(err)
			}
		}
		prefix := ref.Index
		var published, copies []*State
		for i, cmd := range rapid.SliceOfN(commands(), 1, 40).Draw(t, "cmds") {
			index := prefix + uint64(i+1)
			errRef := ref.Apply(index, decoded(t, cmd))
			errCOW := m.Apply(index, encoded(t, cmd))
			if fmt.Sprint(errRef) != fmt.Sprint(errCOW) {
				t.Fatalf("command %d (%s): error %v, applied in place %v", i, cmd.Kind, errCOW, errRef)
			}
			if !sameState(m.Current(), ref) {
				t.Fatalf("command %d (%s): state differs:\n%s\nin place:\n%s", i, cmd.Kind, marshal(t, m.Current()), marshal(t, ref))
			}
			published, copies = append(published, m.Current()), append(copies, ref.Clone())
		}
		for i := range published {
			if !sameState(published[i], copies[i]) {
				t.Fatalf("the State published after command %d changed later:\n%s\nwas:\n%s", i, marshal(t, published[i]), marshal(t, copies[i]))
			}
		}
	})
}

// encoded is cmd as the log holds it; decoded is what Machine.Apply reads
// from that (times lose their monotonic reading), for applying in place.
func encoded(t fataler, cmd Command) []byte {
	data, err := Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decoded(t fataler, cmd Command) Command {
	out, err := Decode(encoded(t, cmd))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadersDoNotRaceApply: readers walk the published State (as the DNS
// answers and the API do) while commands change every part of it. Under
// -race this fails if Apply writes anything a published State holds.
func TestReadersDoNotRaceApply(t *testing.T) {
	m := NewMachine(nil)
	applyEach(t, m, 1, goldenHistory())
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				s := m.Current()
				now := t0.Add(time.Hour)
				for name := range s.Verdicts.All() {
					_ = s.Health(name, now)
				}
				_ = s.Services(now)
				_ = s.NextExpiry()
				for _, e := range s.Events {
					_ = e.Detail
				}
				for _, mb := range s.Members {
					_ = mb.Address
				}
			}
		})
	}
	next := uint64(len(goldenHistory()) + 1)
	for i := range 300 {
		h := []model.Health{model.Down, model.Up}[i%2]
		ep := []string{"use1", "usw2"}[i%2]
		applyEach(t, m, next, []Command{
			verdict(time.Hour, ep, h),
			override(time.Hour, ep, Drain, time.Hour+time.Second),
			{Kind: ExpireOverrides, At: t0.Add(2 * time.Hour)},
			{Kind: SetMember, At: t0, Member: &Member{Name: fmt.Sprint("n", i%3), Address: fmt.Sprint(i)}},
			setConfig(time.Hour, fmt.Sprint("c", i%2), "use1", "usw2"),
		})
		next += 5
	}
	close(done)
	wg.Wait()
}

// TestSnapshotOnDiskStillRestores: testdata/snapshot-v1.json was written
// by Machine.Snapshot before snapshots were captured and written apart, for
// goldenHistory. It must restore to the state that log gives, and a
// snapshot written now must hold the same bytes, so nodes on either side of
// the change read each other's snapshots. If a field was added to State on
// purpose, older snapshots must still restore: keep snapshot-v1.json, add
// the new bytes as snapshot-v2.json and compare against that instead.
func TestSnapshotOnDiskStillRestores(t *testing.T) {
	golden, err := os.ReadFile("testdata/snapshot-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	restored := NewMachine(nil)
	if err := restored.Restore(golden); err != nil {
		t.Fatalf("restore of a snapshot on disk: %v", err)
	}
	applied := NewMachine(nil)
	applyEach(t, applied, 1, goldenHistory())
	if !sameState(restored.Current(), applied.Current()) {
		t.Errorf("the snapshot on disk restored to\n%s\nwant the state its log gives\n%s",
			marshal(t, restored.Current()), marshal(t, applied.Current()))
	}
	if got := persist(t, applied); !bytes.Equal(got, golden) {
		t.Errorf("a snapshot written now differs from the format on disk:\nnow  %s\ndisk %s", got, golden)
	}
}

// TestSnapshotRestoresLargeState: the snapshot of 10,000 endpoints with
// their verdicts, evidence, a full history, a member and an override
// (benchMachine, what BenchmarkSnapshot captures and BenchmarkPersist
// writes) restores to a deeply equal state, and the capture stays what it
// was while commands are applied before it is written.
func TestSnapshotRestoresLargeState(t *testing.T) {
	m, names := benchMachine(t, 10000)
	want := m.Current()
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	applyEach(t, m, want.Index+1, []Command{
		verdict(time.Hour, names[0], model.Down),
		{Kind: ClearOverride, At: t0.Add(time.Hour), Endpoint: names[len(names)-1]},
	})
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := NewMachine(nil)
	if err := restored.Restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	got := restored.Current()
	if !sameState(got, want) {
		t.Fatalf("restored state (index %d, %d verdicts, %d events) differs from the captured one (index %d, %d verdicts, %d events)",
			got.Index, got.Verdicts.Len(), len(got.Events), want.Index, want.Verdicts.Len(), len(want.Events))
	}
	if got.Verdicts.Len() != 10000 || len(got.Events) != MaxEvents || len(got.Overrides) != 1 {
		t.Errorf("restored %d verdicts, %d events, %d overrides; want 10000, %d, 1", got.Verdicts.Len(), len(got.Events), len(got.Overrides), MaxEvents)
	}
}

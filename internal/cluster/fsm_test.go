package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
)

// memSink is a raft.SnapshotSink in memory that remembers how it ended.
type memSink struct {
	bytes.Buffer
	failWrite         error // what every Write returns, if not nil
	closed, cancelled bool
}

func (s *memSink) Write(p []byte) (int, error) {
	if s.failWrite != nil {
		return 0, s.failWrite
	}
	return s.Buffer.Write(p)
}

func (s *memSink) Close() error  { s.closed = true; return nil }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) ID() string    { return "mem" }

// fsmWith returns raft's view of an outlast state machine holding n
// endpoints, each with a verdict decided by five vantage points.
func fsmWith(tb testing.TB, n int) (fsm, *state.Machine) {
	tb.Helper()
	at := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	svc := config.Service{Name: "api.example.test.", Type: model.TypeA}
	var verdicts []model.Verdict
	for i := range n {
		name := fmt.Sprintf("ep%05d", i)
		svc.Endpoints = append(svc.Endpoints, config.Endpoint{Name: name,
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}})
		v := model.Verdict{Endpoint: name, Health: model.Up, Since: at, UpVotes: 5, Voters: 5}
		for j := range 5 {
			v.Evidence = append(v.Evidence, model.Evidence{Vantage: fmt.Sprintf("n%d", j+1), State: model.Up, At: at, Fresh: true})
		}
		verdicts = append(verdicts, v)
	}
	m := state.NewMachine(nil)
	f := fsm{m}
	fsmApply(tb, f, 1, state.Command{Kind: state.SetConfig, At: at, Config: &config.Shared{Services: []config.Service{svc}}, ConfigHash: "h"})
	fsmApply(tb, f, 2, state.Command{Kind: state.SetVerdicts, At: at, Verdicts: verdicts})
	return f, m
}

func fsmApply(tb testing.TB, f fsm, index uint64, cmd state.Command) {
	tb.Helper()
	data, err := state.Encode(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	if err, _ := f.Apply(&raft.Log{Type: raft.LogCommand, Index: index, Data: data}).(error); err != nil {
		tb.Fatalf("apply %s at %d: %v", cmd.Kind, index, err)
	}
}

// TestFSMPersistBesideApply: what raft does with a snapshot. Snapshot
// captures the state on the goroutine that applies the log; Persist writes
// it on another while that goroutine goes on applying (under -race this
// fails if the two touch the same memory). The bytes are the state as
// captured, not as it became, and Restore brings exactly that state back.
func TestFSMPersistBesideApply(t *testing.T) {
	f, m := fsmWith(t, 500)
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	captured := m.Current()
	want, err := json.Marshal(captured)
	if err != nil {
		t.Fatal(err)
	}

	sink := &memSink{}
	persisted := make(chan error, 1)
	go func() { persisted <- snap.Persist(sink) }()
	at := time.Date(2021, 12, 7, 16, 0, 0, 0, time.UTC)
	for i := range 200 {
		h := []model.Health{model.Down, model.Up}[i%2]
		fsmApply(t, f, uint64(3+i), state.Command{Kind: state.SetVerdicts, At: at,
			Verdicts: []model.Verdict{{Endpoint: fmt.Sprintf("ep%05d", i), Health: h, Since: at}}})
	}
	if err := <-persisted; err != nil {
		t.Fatalf("persist: %v", err)
	}
	snap.Release()
	if !sink.closed || sink.cancelled {
		t.Errorf("a persisted snapshot's sink: closed %t, cancelled %t; want closed only", sink.closed, sink.cancelled)
	}
	if !bytes.Equal(sink.Bytes(), want) {
		t.Fatalf("persisted %d bytes, not the %d of the state captured at index %d (did Persist see later Applies?)",
			sink.Len(), len(want), captured.Index)
	}

	restored := state.NewMachine(nil)
	if err := (fsm{restored}).Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatalf("restore: %v", err)
	}
	got, err := json.Marshal(restored.Current())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("restored state (index %d) differs from the captured one (index %d)", restored.Current().Index, captured.Index)
	}
}

// TestFSMPersistCancelsOnFailedWrite: a snapshot that cannot be written is
// cancelled, so raft's store keeps no partial snapshot, and the error says
// so.
func TestFSMPersistCancelsOnFailedWrite(t *testing.T) {
	f, _ := fsmWith(t, 3)
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	full := errors.New("no space left on device")
	sink := &memSink{failWrite: full}
	if err := snap.Persist(sink); !errors.Is(err, full) {
		t.Errorf("persist to a failing sink: %v, want it to wrap %v", err, full)
	}
	if !sink.cancelled || sink.closed {
		t.Errorf("failing sink: cancelled %t, closed %t; want cancelled only", sink.cancelled, sink.closed)
	}
}

// BenchmarkFSMSnapshot is what raft's goroutine that applies the log spends
// on a snapshot of 10,000 endpoints with verdicts: the capture, nothing
// more. Compare BenchmarkFSMPersist, which does the serialization.
func BenchmarkFSMSnapshot(b *testing.B) {
	f, _ := fsmWith(b, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		snap, err := f.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		snap.Release()
	}
}

// BenchmarkFSMPersist writes that snapshot into a sink, as raft does on its
// snapshot goroutine while Applies go on.
func BenchmarkFSMPersist(b *testing.B) {
	f, _ := fsmWith(b, 10000)
	snap, err := f.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	sink := &memSink{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sink.Reset()
		sink.closed = false
		if err := snap.Persist(sink); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(sink.Len()))
	}
}

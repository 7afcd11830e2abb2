package cluster

import (
	"fmt"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

func TestSampler(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	refused := func(host string) sampleKey {
		return sampleKey{Level: slog.LevelWarn, Event: "refused", Source: host}
	}
	// step is one call: an event (note) or a look at the summaries (due).
	type step struct {
		at      float64
		key     sampleKey // zero: call due
		detail  string
		logged  bool      // note: whether the event gets a line
		summary []summary // due: what it returns
	}
	sum := func(k sampleKey, n uint64, over float64, last string) summary {
		return summary{sampleKey: k, Count: n, Over: time.Duration(over * float64(time.Second)), Last: last}
	}
	a, b, c := refused("10.0.0.1"), refused("10.0.0.2"), refused("10.0.0.3")
	other := refused(overflowSource)
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"first logged, repeats counted, one summary per interval", []step{
			{at: 0, key: a, detail: "e1", logged: true},
			{at: 1, key: a, detail: "e2"},
			{at: 2, key: a, detail: "e3"},
			{at: 9},
			{at: 10, summary: []summary{sum(a, 2, 10, "e3")}},
			{at: 11, key: a, detail: "e4"},
			{at: 15},
			{at: 20, summary: []summary{sum(a, 1, 10, "e4")}},
		}},
		{"a key quiet for an interval is forgotten and logged again", []step{
			{at: 0, key: a, detail: "e1", logged: true},
			{at: 10},
			{at: 10.5, key: a, detail: "e2", logged: true},
		}},
		{"keys apart: one source does not hide another", []step{
			{at: 0, key: a, logged: true},
			{at: 0, key: b, logged: true},
			{at: 1, key: b, detail: "b"},
			{at: 1, key: sampleKey{Level: slog.LevelWarn, Event: "unknown kind", Source: "10.0.0.1"}, logged: true},
			{at: 10, summary: []summary{sum(b, 1, 10, "b")}},
		}},
		{"sources beyond the bound share one key per event", []step{
			{at: 0, key: a, logged: true},
			{at: 0, key: b, logged: true},
			{at: 0, key: c, detail: "c", logged: true}, // the overflow key's first
			{at: 1, key: refused("10.0.0.4"), detail: "d"},
			{at: 2, key: a, detail: "a"},
			{at: 10, summary: []summary{sum(a, 1, 10, "a"), sum(other, 1, 10, "d")}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSampler(10*time.Second, 2)
			for i, st := range tc.steps {
				if st.key == (sampleKey{}) {
					if got := s.due(at(st.at)); !reflect.DeepEqual(got, st.summary) {
						t.Fatalf("step %d: due at %vs: got %+v, want %+v", i, st.at, got, st.summary)
					}
					continue
				}
				if got := s.note(st.key, st.detail, at(st.at)); got != st.logged {
					t.Fatalf("step %d: note %v at %vs: logged %v, want %v", i, st.key, st.at, got, st.logged)
				}
			}
		})
	}
}

func TestSamplerFlush(t *testing.T) {
	t0 := time.Now()
	s := newSampler(10*time.Second, 4)
	k := sampleKey{Event: "refused", Source: "h"}
	s.note(k, "", t0)
	s.note(k, "x", t0.Add(time.Second))
	s.note(sampleKey{Event: "once", Source: "h"}, "", t0)
	want := []summary{{sampleKey: k, Count: 1, Over: 3 * time.Second, Last: "x"}}
	if got := s.flush(t0.Add(3 * time.Second)); !reflect.DeepEqual(got, want) {
		t.Fatalf("flush: got %+v, want %+v", got, want)
	}
	if len(s.keys) != 0 {
		t.Fatalf("flush kept %d keys, want none", len(s.keys))
	}
}

// TestSamplerBoundsLines: however many events from however many sources,
// the lines per interval stay bounded by the keys.
func TestSamplerBoundsLines(t *testing.T) {
	t0 := time.Now()
	s := newSampler(10*time.Second, 8)
	lines := 0
	for i := range 100_000 {
		now := t0.Add(time.Duration(i) * time.Millisecond) // 100 s
		if s.note(sampleKey{Event: "refused", Source: fmt.Sprint("10.0.", i%1000)}, "x", now) {
			lines++
		}
		if i%1000 == 0 {
			lines += len(s.due(now))
		}
	}
	// 9 keys (8 and the overflow), each at most a line per 10 s: 100 s
	// give at most 9 × (1 + 10) lines.
	if lines > 9*11 {
		t.Fatalf("100,000 events from 1,000 sources over 100 s: %d lines, want at most %d", lines, 9*11)
	}
	t.Logf("100,000 events from 1,000 sources over 100 s: %d lines", lines)
}

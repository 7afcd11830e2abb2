package clients

import (
	"maps"
	"testing"
	"time"
)

func TestRecorderBuckets(t *testing.T) {
	start := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	rec := NewRecorder(start)
	for _, o := range []Outcome{
		{At: at(-0.5), Class: OK, Backend: "use1"}, // before the start: the first second
		{At: at(0.2), Class: OK, Backend: "use1", Latency: 30 * time.Millisecond},
		{At: at(0.999), Class: Timeout, Latency: time.Second}, // a failure's latency is no figure
		{At: at(1), Class: OK, Backend: "usw2"},
		{At: at(1.5), Class: DNS},
		{At: at(3.1), Class: OK, Backend: "usw2"},
		{At: at(3.2), Class: OK, Backend: "usc1"},
		{At: at(3.3), Class: Refused},
		{At: at(3.4), Class: Status},
		{At: at(3.5), Class: Other},
	} {
		rec.Record(o)
	}
	want := []struct {
		requests, successes int
		servedBy            map[string]int
		maxLatencyS         float64
	}{
		{3, 2, map[string]int{"use1": 2}, 0.03},
		{2, 1, map[string]int{"usw2": 1}, 0},
		{0, 0, map[string]int{}, 0}, // a silent second is still there
		{5, 2, map[string]int{"usw2": 1, "usc1": 1}, 0},
	}
	got := rec.Seconds()
	if len(got) != len(want) {
		t.Fatalf("want %d seconds, got %d: %+v", len(want), len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.T != i || g.Requests != w.requests || g.Successes != w.successes || !maps.Equal(g.ServedBy, w.servedBy) || g.ServedBy == nil ||
			g.MaxLatencyS != w.maxLatencyS {
			t.Errorf("second %d: want %d requests, %d successes, served by %v, slowest %v s; got %+v", i, w.requests, w.successes, w.servedBy, w.maxLatencyS, g)
		}
	}
	tot := rec.Totals()
	wantFailures := map[Class]int{Timeout: 1, DNS: 1, Refused: 1, Status: 1, Other: 1}
	if tot.Requests != 10 || tot.Successes != 5 || !maps.Equal(tot.Failures, wantFailures) ||
		!maps.Equal(tot.ServedBy, map[string]int{"use1": 2, "usw2": 2, "usc1": 1}) {
		t.Errorf("totals: want 10 requests, 5 successes, failures %v; got %+v", wantFailures, tot)
	}
}

// Seconds hands out copies: a caller writing to them does not change the record.
func TestRecorderSecondsAreCopies(t *testing.T) {
	start := time.Now()
	rec := NewRecorder(start)
	rec.Record(Outcome{At: start, Class: OK, Backend: "use1"})
	rec.Seconds()[0].ServedBy["use1"] = 99
	if got := rec.Seconds()[0].ServedBy["use1"]; got != 1 {
		t.Errorf("want 1 request served by use1, got %d", got)
	}
}

func TestClassNames(t *testing.T) {
	for c, want := range map[Class]string{OK: "ok", DNS: "dns", Timeout: "timeout", Refused: "refused", Status: "status", Other: "other", 42: "unknown"} {
		if c.String() != want {
			t.Errorf("class %d: want %q, got %q", c, want, c.String())
		}
	}
}

// 200 devices at 1 request/s for 3 minutes is 36,000 records.
func BenchmarkRecord(b *testing.B) {
	start := time.Now()
	rec := NewRecorder(start)
	backends := []string{"use1", "usw2", "usc1"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			o := Outcome{At: start.Add(time.Duration(i%180) * time.Second), Class: Class(i % 3), Backend: backends[i%3]}
			rec.Record(o)
		}
	})
}

func BenchmarkSeconds(b *testing.B) {
	start := time.Now()
	rec := NewRecorder(start)
	for i := range 36000 {
		rec.Record(Outcome{At: start.Add(time.Duration(i/200) * time.Second), Class: OK, Backend: "use1"})
	}
	b.ReportAllocs()
	for b.Loop() {
		rec.Seconds()
	}
}

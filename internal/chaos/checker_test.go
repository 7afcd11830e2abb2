package chaos

import (
	"strings"
	"testing"
	"time"
)

// Hand-built histories: three nodes answering 20 times a second, the
// primary 10.0.0.1 and the secondary 10.0.0.2.
var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

const primary, secondary = "10.0.0.1", "10.0.0.2"

func baseHistory() History {
	return History{Seed: 1, Start: ms(0), End: ms(10000), Nodes: []string{"n1", "n2", "n3"},
		Addrs: map[string]string{primary: "primary", secondary: "secondary"}}
}

// answers records node answering addrs every 50 ms over [from, to) ms.
func answers(h *History, node string, from, to int, addrs ...string) {
	for t := from; t < to; t += 50 {
		h.Queries = append(h.Queries, Query{Node: node, Sent: ms(t), Got: ms(t + 1), Addrs: addrs})
	}
}

// failures records node failing every query over [from, to) ms.
func failures(h *History, node string, from, to int) {
	for t := from; t < to; t += 50 {
		h.Queries = append(h.Queries, Query{Node: node, Sent: ms(t), Got: ms(t + 500), Err: "i/o timeout"})
	}
}

func allAnswer(h *History, from, to int, addrs ...string) {
	for _, n := range h.Nodes {
		answers(h, n, from, to, addrs...)
	}
}

// samples records node's /healthz every 200 ms over [from, to) ms.
func samples(h *History, node string, from, to int, primaryHealth, primaryProbe string) {
	for t := from; t < to; t += 200 {
		h.Samples = append(h.Samples, Sample{Node: node, At: ms(t), Endpoints: []EndpointView{
			{Name: "primary", Health: primaryHealth, Probe: primaryProbe},
			{Name: "secondary", Health: "up", Probe: "ok"}}})
	}
}

// notReady records node's /healthz readiness every 200 ms over [from, to)
// ms: not ready over [off, on), ready otherwise.
func notReady(h *History, node string, from, to, off, on int) {
	for t := from; t < to; t += 200 {
		h.Samples = append(h.Samples, Sample{Node: node, At: ms(t), NotReady: t >= off && t < on})
	}
}

func TestCleanHistoryPasses(t *testing.T) {
	h := baseHistory()
	allAnswer(&h, 0, 5000, primary)
	// The primary dies at 5 s; the nodes switch within 150 ms of each other.
	answers(&h, "n1", 5000, 10000, secondary)
	answers(&h, "n2", 5000, 5100, primary)
	answers(&h, "n2", 5100, 10000, secondary)
	answers(&h, "n3", 5000, 5150, primary)
	answers(&h, "n3", 5150, 10000, secondary)
	for _, n := range h.Nodes {
		samples(&h, n, 0, 5000, "up", "ok")
		samples(&h, n, 5000, 10000, "down", "refused")
	}
	h.Override = []OverrideOp{{Node: "n1", Endpoint: "ops1", Kind: "drain", Sent: ms(100), Got: ms(120), Acked: true}}
	h.Final = map[string]map[string]string{"n1": {"ops1": "drain"}, "n2": {"ops1": "drain"}, "n3": {"ops1": "drain"}}
	r := Check(h)
	if !r.OK() {
		t.Fatalf("a clean history must pass:\n%s", r.Details(h.Start, 10))
	}
	if len(r.Windows) != 1 || r.MaxSplit < 100*time.Millisecond || r.MaxSplit > 200*time.Millisecond {
		t.Errorf("want one split window of 100-200 ms as the nodes switch, got %d, longest %s", len(r.Windows), r.MaxSplit)
	}
	if r.Queries != len(h.Queries) {
		t.Errorf("queries = %d, want %d", r.Queries, len(h.Queries))
	}
}

func TestFailedQueries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  Fault
		failAt int // ms, one query failing 500 ms later
		want   int
	}{
		{"no fault: a live node failed", Fault{}, 3000, 1},
		{"killed: excused", Fault{Node: "n1", Kind: Killed, Start: ms(2900), End: ms(4000), Back: ms(5000)}, 3000, 0},
		{"restarting, before it was back: excused", Fault{Node: "n1", Kind: Killed, Start: ms(1000), End: ms(2000), Back: ms(3200)}, 3000, 0},
		{"killed and never back: excused to the end", Fault{Node: "n1", Kind: Killed, Start: ms(1000), End: ms(2000)}, 3000, 0},
		{"after it was back: counted", Fault{Node: "n1", Kind: Killed, Start: ms(1000), End: ms(2000), Back: ms(2500)}, 3000, 1},
		{"frozen: excused", Fault{Node: "n1", Kind: Stopped, Start: ms(2000), End: ms(4000), Back: ms(4100)}, 3000, 0},
		{"SIGSTOP landed while it was in flight: excused", Fault{Node: "n1", Kind: Stopped, Start: ms(3400), End: ms(4000)}, 3000, 0},
		{"after SIGCONT: counted", Fault{Node: "n1", Kind: Stopped, Start: ms(1000), End: ms(2000), Back: ms(4000)}, 3000, 1},
		{"partitioned is live: counted", Fault{Node: "n1", Kind: Partitioned, Start: ms(2000), End: ms(4000), Back: ms(4100)}, 3000, 1},
		{"disk full is live: counted", Fault{Node: "n1", Kind: DiskFull, Start: ms(2000), End: ms(4000), Back: ms(4100)}, 3000, 1},
		{"another node killed: counted", Fault{Node: "n2", Kind: Killed, Start: ms(2000), End: ms(4000), Back: ms(4100)}, 3000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := baseHistory()
			allAnswer(&h, 0, 10000, primary)
			h.Queries = append(h.Queries, Query{Node: "n1", Sent: ms(tc.failAt), Got: ms(tc.failAt + 500), Err: "i/o timeout"})
			if tc.fault.Node != "" {
				h.Faults = []Fault{tc.fault}
			}
			r := Check(h)
			if len(r.FailedLive) != tc.want {
				t.Errorf("failed_live = %d, want %d:\n%s", len(r.FailedLive), tc.want, r.Details(h.Start, 10))
			}
		})
	}
}

func TestEmptyAnswerIsAFailure(t *testing.T) {
	h := baseHistory()
	allAnswer(&h, 0, 1000, primary)
	h.Queries = append(h.Queries, Query{Node: "n2", Sent: ms(1000), Got: ms(1001), Err: "no addresses"})
	if r := Check(h); len(r.FailedLive) != 1 || !strings.Contains(r.FailedLive[0].Detail, "no fault under way") {
		t.Errorf("want one failed query with its context, got %+v", r.FailedLive)
	}
}

func TestUnsentQueriesAreCountedApart(t *testing.T) {
	h := baseHistory()
	allAnswer(&h, 0, 1000, primary)
	h.Queries = append(h.Queries, Query{Node: "n1", Sent: ms(500), Got: ms(1100), Err: "dial udp: i/o timeout", Unsent: true},
		Query{Node: "n1", Sent: ms(520), Got: ms(1100), Err: "read udp: i/o timeout"})
	r := Check(h)
	if r.Unsent != 1 || len(r.FailedLive) != 1 || !strings.Contains(r.Summary(1, time.Second, nil, nil), " unsent=1 ") {
		t.Errorf("want 1 unsent query apart and the read timeout counted, got unsent=%d failed_live=%d", r.Unsent, len(r.FailedLive))
	}
}

func TestOnlyTheRunIsChecked(t *testing.T) {
	h := baseHistory()
	h.Start = ms(1000)
	failures(&h, "n1", 0, 1000) // the cluster was starting
	allAnswer(&h, 1000, 10000, primary)
	failures(&h, "n2", 10050, 11000) // after the run
	r := Check(h)
	if !r.OK() || r.Queries != 3*180 {
		t.Errorf("queries outside the run must not be checked: %d checked, want %d:\n%s", r.Queries, 3*180, r.Details(h.Start, 10))
	}
}

func TestSplitBrain(t *testing.T) {
	for _, tc := range []struct {
		name        string
		build       func(h *History)
		windows     int
		over        int
		atLeast     time.Duration
		detailNodes string
	}{
		{"n3 lags 1.5 s behind a switch", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 4500, primary)
			answers(h, "n3", 4500, 10000, secondary)
		}, 1, 1, 1500 * time.Millisecond, "n3=" + primary},
		{"n3 lags 300 ms: a window within the bound", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 3300, primary)
			answers(h, "n3", 3300, 10000, secondary)
		}, 1, 0, 300 * time.Millisecond, ""},
		{"partitioned n3 answering the old set is no split brain", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 9000, primary)
			answers(h, "n3", 9000, 10000, secondary)
			h.Faults = []Fault{{Node: "n3", Kind: Partitioned, Start: ms(2000), End: ms(8000), Back: ms(9000)}}
		}, 0, 0, 0, ""},
		{"after it was back, the partitioned node must agree", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 10000, primary)
			h.Faults = []Fault{{Node: "n3", Kind: Partitioned, Start: ms(2000), End: ms(6000), Back: ms(6500)}}
		}, 1, 1, 3500 * time.Millisecond, "n3=" + primary},
		{"a node whose disk is full is in contact: its stale answers count", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 10000, primary)
			h.Faults = []Fault{{Node: "n3", Kind: DiskFull, Start: ms(2000), End: ms(6000), Back: ms(6500)}}
		}, 1, 1, 7 * time.Second, "n3=" + primary},
		{"a node that says it is not ready is out of contact while it says so", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 6000, primary)
			answers(h, "n3", 6000, 10000, secondary)
			h.Faults = []Fault{{Node: "n3", Kind: DiskFull, Start: ms(2000), End: ms(5000), Back: ms(5500)}}
			notReady(h, "n3", 0, 10000, 2800, 6200)
		}, 0, 0, 0, ""},
		{"ready again, it must agree again", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 10000, primary)
			notReady(h, "n3", 0, 10000, 2800, 6200)
		}, 1, 1, 3600 * time.Millisecond, "n3=" + primary},
		{"failed queries inside a disagreement do not split the window", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, secondary)
			answers(h, "n3", 3000, 3600, primary)
			failures(h, "n3", 3600, 4000)
			answers(h, "n3", 4000, 4600, primary)
			answers(h, "n3", 4600, 10000, secondary)
		}, 1, 1, 1600 * time.Millisecond, ""},
		{"frozen and killed nodes are out of contact", func(h *History) {
			answers(h, "n1", 3000, 10000, secondary)
			answers(h, "n2", 3000, 10000, primary)
			answers(h, "n3", 3000, 10000, secondary)
			h.Faults = []Fault{{Node: "n2", Kind: Stopped, Start: ms(2900), End: ms(5000), Back: ms(5100)},
				{Node: "n2", Kind: Killed, Start: ms(5100), End: ms(6000)}}
		}, 0, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := baseHistory()
			allAnswer(&h, 0, 3000, primary)
			tc.build(&h)
			r := Check(h)
			if len(r.Windows) != tc.windows || len(r.OverBound) != tc.over || r.MaxSplit < tc.atLeast {
				t.Errorf("windows %d (want %d), over the bound %d (want %d), longest %s (want at least %s):\n%s",
					len(r.Windows), tc.windows, len(r.OverBound), tc.over, r.MaxSplit, tc.atLeast, r.Details(h.Start, 10))
			}
			if tc.detailNodes != "" && (len(r.OverBound) == 0 || !strings.Contains(r.OverBound[0].Detail, tc.detailNodes)) {
				t.Errorf("the window should say who answered what (%s): %+v", tc.detailNodes, r.OverBound)
			}
		})
	}
}

func TestDownAnswers(t *testing.T) {
	for _, tc := range []struct {
		name          string
		health, probe string
		from          int // when n1's /healthz starts saying so, ms
		want          int
	}{
		{"agreed down and own probe refused, answered a second later", "down", "refused", 4000, 1},
		{"agreed down, own probe ok: not counted", "down", "ok", 4000, 0},
		{"own probe refused, agreed up: not counted", "up", "refused", 4000, 0},
		{"reported down less than the rebuild grace ago: not counted", "down", "timeout", 4800, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := baseHistory()
			answers(&h, "n1", 5000, 5050, primary) // one answer at 5 s
			samples(&h, "n1", 0, tc.from, "up", "ok")
			samples(&h, "n1", tc.from, 10000, tc.health, tc.probe)
			r := Check(h)
			if len(r.DownAnswers) != tc.want {
				t.Errorf("down_answers = %d, want %d:\n%s", len(r.DownAnswers), tc.want, r.Details(h.Start, 10))
			}
		})
	}
}

// The last /healthz before a query can be 200 ms old: when the next one
// says the endpoint is up again, the answer may have followed the change.
func TestDownAnswerNeedsTheStateStillDownAfterIt(t *testing.T) {
	h := baseHistory()
	answers(&h, "n1", 5000, 5050, primary)
	samples(&h, "n1", 0, 4000, "up", "ok")
	samples(&h, "n1", 4000, 5000, "down", "refused")
	samples(&h, "n1", 5000, 10000, "up", "ok") // turned up between 4.8 s and 5 s
	if r := Check(h); len(r.DownAnswers) != 0 {
		t.Errorf("an answer after the state turned up is no down answer:\n%s", r.Details(h.Start, 10))
	}
	h.Samples = nil
	samples(&h, "n1", 0, 4000, "up", "ok")
	samples(&h, "n1", 4000, 5000, "down", "refused")
	if r := Check(h); len(r.DownAnswers) != 0 {
		t.Errorf("without a report after the answer nothing is proven:\n%s", r.Details(h.Start, 10))
	}
}

func TestLostOverrides(t *testing.T) {
	drain := func(node string, at int, acked bool) OverrideOp {
		return OverrideOp{Node: node, Endpoint: "ops1", Kind: "drain", Sent: ms(at), Got: ms(at + 20), Acked: acked}
	}
	clear := func(node string, at int, acked bool) OverrideOp {
		return OverrideOp{Node: node, Endpoint: "ops1", Sent: ms(at), Got: ms(at + 20), Acked: acked}
	}
	refused := clear("n2", 3000, false)
	refused.Refused = true
	all := func(kind string) map[string]map[string]string {
		return map[string]map[string]string{"n1": {"ops1": kind}, "n2": {"ops1": kind}, "n3": {"ops1": kind}}
	}
	missingOnN3 := all("drain")
	delete(missingOnN3["n3"], "ops1")
	for _, tc := range []struct {
		name  string
		ops   []OverrideOp
		final map[string]map[string]string
		want  int
	}{
		{"acknowledged drain held everywhere", []OverrideOp{drain("n1", 1000, true)}, all("drain"), 0},
		{"acknowledged drain missing on n3", []OverrideOp{drain("n1", 1000, true)}, missingOnN3, 1},
		{"acknowledged drain missing everywhere", []OverrideOp{drain("n1", 1000, true)}, nil, 3},
		{"drain then clear, none held", []OverrideOp{drain("n1", 1000, true), clear("n2", 2000, true)}, nil, 0},
		{"drain then clear, still held", []OverrideOp{drain("n1", 1000, true), clear("n2", 2000, true)}, all("drain"), 3},
		{"a clear of unknown outcome after the drain: either is right", []OverrideOp{drain("n1", 1000, true), clear("n2", 2000, false)}, nil, 0},
		{"a refused clear changes nothing", []OverrideOp{drain("n1", 1000, true), refused}, nil, 3},
		{"unacknowledged alone: nothing to check", []OverrideOp{drain("n1", 1000, false)}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := baseHistory()
			h.Override, h.Final = tc.ops, tc.final
			r := Check(h)
			if len(r.LostOverrides) != tc.want {
				t.Errorf("lost_overrides = %d, want %d:\n%s", len(r.LostOverrides), tc.want, r.Details(h.Start, 10))
			}
		})
	}
}

func TestSummaryLine(t *testing.T) {
	h := baseHistory()
	allAnswer(&h, 0, 1000, primary)
	line := Check(h).Summary(42, 61*time.Second, []string{"kill-leader", "stop"}, []string{"partition"})
	for _, want := range []string{"chaos seed=42 ", "duration=1m1s", "queries=60 ", "failed_live=0 ", "split_brain_over_bound=0 ",
		"max_split_ms=0 ", "down_answers=0 ", "lost_overrides=0 ", "faults=2 ", "injected=kill-leader,stop", "skipped=partition"} {
		if !strings.Contains(line, want) {
			t.Errorf("summary %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("the summary must be one line: %q", line)
	}
}

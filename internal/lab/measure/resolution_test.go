package measure

import (
	"reflect"
	"strings"
	"testing"
)

// A DNS that goes dark at 10 s and comes back at 20 s: the nodes turn
// stale after the TTL and fresh again at their own pace.
func darkDNS() []ResolutionEvent {
	const target = "shop.cdn-a.test."
	return []ResolutionEvent{
		{At: 0, Node: "aws", Target: target, State: "fresh"},
		{At: 0, Node: "gcp", Target: target, State: "fresh"},
		{At: 14.6, Node: "gcp", Target: target, State: "stale", Error: "i/o timeout"},
		{At: 14.2, Node: "aws", Target: target, State: "stale", Error: "i/o timeout"},
		{At: 21.5, Node: "aws", Target: target, State: "fresh"},
		{At: 26, Node: "gcp", Target: target, State: "fresh"},
	}
}

func TestResolutionFigures(t *testing.T) {
	ev := darkDNS()
	if got := staleAfter(ev, 10); !near(got, 4.2) {
		t.Errorf("stale %v s after the fault, want 4.2 (the first node to turn)", got)
	}
	if got := freshAgain(ev, 20); !near(got, 6) {
		t.Errorf("fresh again %v s after the heal, want 6 (the last node to turn)", got)
	}
	if got := freshAgain(ev[:5], 20); got != -1 {
		t.Errorf("a node never fresh again: %v, want -1", got)
	}
	if got := freshAgain(ev[:2], 20); got != 0 {
		t.Errorf("every node fresh at the heal: %v, want 0", got)
	}
	if got := freshAgain(ev, -1); got != -1 {
		t.Errorf("no heal: %v, want -1", got)
	}
	if got := staleAfter(ev[:2], 10); got != -1 {
		t.Errorf("never stale: %v, want -1", got)
	}
	changes := resolutionChanges(ev)
	if len(changes) != 4 || changes[0].Node != "aws" || changes[0].State != "stale" {
		t.Errorf("changes %+v, want the four turns in time order, the start left out", changes)
	}
}

func TestOffAnswers(t *testing.T) {
	keep := []string{"127.77.1.4"}
	answers := []AnswerSample{
		{At: 5, Nameserver: "aws", Addrs: []string{"127.77.1.5"}}, // before the fault: not counted
		{At: 11, Nameserver: "aws", Addrs: keep},
		{At: 12, Nameserver: "gcp", Addrs: nil},                                  // empty
		{At: 13, Nameserver: "gcp", Addrs: []string{"127.77.1.4", "127.77.1.5"}}, // more than kept
	}
	failed := []FailedPoll{{At: 14, Nameserver: "aws", Kind: "SERVFAIL"}, {At: 15, Nameserver: "gcp", Kind: "timeout"}}
	off, polls := offAnswers(answers, failed, keep, 10)
	if off != 3 || polls != 4 {
		t.Errorf("off %d of %d, want 3 of 4 (empty, more, SERVFAIL; the timeout is no evidence)", off, polls)
	}
	if off, polls := offAnswers(answers, failed, nil, 10); off != -1 || polls != 0 {
		t.Errorf("nothing kept: %d of %d, want -1 of 0", off, polls)
	}
}

func TestAnswerSetsNameTheMove(t *testing.T) {
	names := map[string]string{"127.77.1.4": "shop.cdn-a.test", "127.77.1.5": "shop.cdn-b.test"}
	answers := []AnswerSample{
		{At: 1, Addrs: []string{"127.77.1.4"}}, {At: 9, Addrs: []string{"127.77.1.4"}},
		{At: 10.4, Addrs: []string{"127.77.1.5"}}, {At: 10.5, Addrs: []string{"127.77.1.4"}}, {At: 20, Addrs: []string{"127.77.1.5"}},
	}
	got := answerSets(answers, names)
	want := []AnswerSet{
		{Addrs: []string{"127.77.1.4"}, Names: []string{"shop.cdn-a.test"}, From: 1, To: 10.5},
		{Addrs: []string{"127.77.1.5"}, Names: []string{"shop.cdn-b.test"}, From: 10.4, To: 20},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sets %+v\nwant %+v", got, want)
	}
	marks := answerMarkers(got)
	if len(marks) != 2 || marks[1].Label != "answer shop.cdn-b.test" || marks[1].Detail != "a nameserver answered 127.77.1.5 (shop.cdn-b.test)" {
		t.Errorf("markers %+v", marks)
	}
}

// The nodes turning within a few seconds of each other are one marker.
func TestResolutionMarkersGroupNodes(t *testing.T) {
	marks := resolutionMarkers(resolutionChanges(darkDNS()))
	if len(marks) != 3 {
		t.Fatalf("markers %+v, want stale (both), fresh (aws), fresh (gcp, 4.5 s later)", marks)
	}
	if m := marks[0]; m.T != 14.2 || m.Label != "shop.cdn-a.test stale" ||
		!strings.Contains(m.Detail, "on aws, gcp") || !strings.Contains(m.Detail, "i/o timeout") {
		t.Errorf("first marker %+v", m)
	}
}

func TestCheckKeptAnswersAndResolution(t *testing.T) {
	b := Bounds{KeepAnswers: true, StaleS: 8, FreshS: 20}
	r := Result{StaleS: 4.2, FreshS: 6, OffAnswers: 0, KeptPolls: 300}
	if Check(&r, b); !r.Pass {
		t.Errorf("all kept: %v", r.Failures)
	}
	r = Result{StaleS: -1, FreshS: 21, OffAnswers: 2, KeptPolls: 300}
	Check(&r, b)
	want := []string{"no stale resolution (bound 8 s)", "return to fresh resolution 21 s > 20 s", "2 of 300 answers off the kept addresses"}
	if !reflect.DeepEqual(r.Failures, want) {
		t.Errorf("failures %q\nwant %q", r.Failures, want)
	}
	r = Result{StaleS: 1, KeptPolls: 0}
	if Check(&r, Bounds{KeepAnswers: true}); r.Pass {
		t.Error("no poll at all must not pass a scenario that keeps answers")
	}
}

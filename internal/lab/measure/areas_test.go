package measure

import (
	"math"
	"slices"
	"testing"
)

// inArea puts samples in a client area.
func inArea(area string, samples []AnswerSample) []AnswerSample {
	out := slices.Clone(samples)
	for i := range out {
		out[i].Area = area
	}
	return out
}

const europe, west = "127.77.1.6", "127.77.1.3"

// geoRun is a geo scenario's polls: us-east answered dead (use1) until each
// nameserver moves it (a at 12, b at 12.5) to west; europe answered europe
// throughout, by both. The fault is at 10.
func geoRun() Input {
	answers := join(
		inArea("us-east", join(polls("a", 0, 12, dead), polls("a", 12, 30, west),
			polls("b", 0, 12.5, dead), polls("b", 12.5, 30, west))),
		inArea("europe", join(polls("a", 0, 30, europe), polls("b", 0, 30, europe))),
	)
	steady := func(requests int) []Second {
		var out []Second
		for i := range 30 {
			out = append(out, Second{T: i, Requests: requests, Successes: requests})
		}
		return out
	}
	east := steady(100)
	for i := 10; i < 15; i++ {
		east[i].Successes = 80 // cached answers of the hung region time out until the TTL ends
	}
	return Input{
		FaultAt: 10, HealAt: -1, End: 30, TTL: 5,
		Affected: []string{"use1"}, AffectedAddrs: []string{dead},
		Verdicts:  []VerdictEvent{{At: 11, Endpoint: "use1", Health: "down"}},
		Answers:   answers,
		AddrNames: map[string]string{dead: "use1", west: "usw2", europe: "euw1"},
		Areas:     []AreaInput{{Name: "europe", Seconds: steady(100)}, {Name: "us-east", Seconds: east}},
	}
}

func TestAreaResults(t *testing.T) {
	r := Compute(geoRun())
	if len(r.Areas) != 2 {
		t.Fatalf("want two areas, got %+v", r.Areas)
	}
	eu, us := r.Areas[0], r.Areas[1]
	if eu.Area != "europe" || !slices.Equal(eu.Before, []string{"euw1"}) || !slices.Equal(eu.After, []string{"euw1"}) ||
		eu.Moves != 0 || eu.MovedS != -1 || eu.FalseFailovers != 0 || !eu.Stayed() ||
		eu.ClientErrors != 0 || eu.ClientRequests != 2000 || eu.ClientSuccessPct != 100 {
		t.Errorf("europe: want it to stay on euw1 with every request served, got %+v", eu)
	}
	if us.Area != "us-east" || !slices.Equal(us.Before, []string{"use1"}) || !slices.Equal(us.After, []string{"usw2"}) ||
		us.Moves != 1 || us.MovedS != 2.5 || us.FalseFailovers != 0 || us.Stayed() ||
		us.ClientErrors != 100 || us.ClientRequests != 2000 || us.ClientSuccessPct != 95 ||
		us.ClientSuccessPctAfter != 100 || us.ClientRecoveryS != 5 {
		t.Errorf("us-east: want a move to usw2 2.5 s after the fault, 100 errors, recovered after 5 s; got %+v", us)
	}
	// Steering waits for every nameserver and area: us-east's lagging one.
	if r.SteeringS != 2.5 {
		t.Errorf("steering: want 2.5 s (the last area and nameserver clean), got %v", r.SteeringS)
	}
	var labels []string
	for _, m := range answerMarkers(r.Answered) {
		labels = append(labels, m.Label)
	}
	if want := []string{"answer use1 to us-east", "answer euw1 to europe", "answer usw2 to us-east"}; !slices.Equal(labels, want) {
		t.Errorf("answer markers: want %q, got %q", want, labels)
	}
}

func TestAreaMoves(t *testing.T) {
	tests := []struct {
		name           string
		answers        []AnswerSample
		movedS         float64
		most, falseFOs int
	}{
		{"stays", polls("a", 0, 30, europe), -1, 0, 0},
		{"moves off the affected address", join(polls("a", 0, 12, dead), polls("a", 12, 30, west)), 2, 1, 0},
		{"a move before the fault is no move", join(polls("a", 0, 5, west), polls("a", 5, 30, europe)), -1, 0, 0},
		{"leaves a healthy answer: a false failover", join(polls("a", 0, 11, europe), polls("a", 11, 30, west)), 1, 1, 1},
		{"flaps back and forth", join(polls("a", 0, 12, dead), polls("a", 12, 14, west), polls("a", 14, 16, dead),
			polls("a", 16, 30, west)), 2, 3, 1},
		{"one nameserver never moves", join(polls("a", 0, 12, dead), polls("a", 12, 30, west), polls("b", 0, 30, dead)), -1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			movedS, most, falseFOs := moves(tt.answers, []string{dead}, 10)
			if math.Abs(movedS-tt.movedS) > 1e-9 || most != tt.most || falseFOs != tt.falseFOs {
				t.Errorf("want moved %v s, %d moves, %d false failovers; got %v s, %d, %d",
					tt.movedS, tt.most, tt.falseFOs, movedS, most, falseFOs)
			}
		})
	}
}

func TestCheckAreas(t *testing.T) {
	bounds := Bounds{DetectionS: 3, SteeringS: 4, SuccessPctAfter: 99, Areas: []AreaBounds{
		{Area: "europe", From: []string{"euw1"}, To: []string{"euw1"}},
		{Area: "us-east", From: []string{"use1"}, To: []string{"usw2"}},
	}}
	good := Compute(geoRun())
	tests := []struct {
		name   string
		change func(r *Result)
		failed []string
	}{
		{"both as they should", func(*Result) {}, nil},
		{"europe moved", func(r *Result) {
			r.Areas[0].Moves, r.Areas[0].FalseFailovers, r.Areas[0].After = 1, 1, []string{"use1"}
		}, []string{"europe: answered use1 at the end, want euw1", "europe: moved 1 time, want never", "europe: 1 false failover"}},
		{"europe's clients failed", func(r *Result) { r.Areas[0].ClientSuccessPct = 98.5 },
			[]string{"europe: client success from the fault on 98.5% < 99%"}},
		{"us-east too slow", func(r *Result) { r.Areas[1].MovedS = 4.2 }, []string{"us-east: moved after 4.2 s > 4 s"}},
		{"us-east never moved", func(r *Result) { r.Areas[1].MovedS, r.Areas[1].After = -1, []string{"use1"} },
			[]string{"us-east: answered use1 at the end, want usw2", "us-east: no move (bound 4 s)"}},
		{"us-east flapped", func(r *Result) { r.Areas[1].Moves = 3 }, []string{"us-east: moved 3 times, want once"}},
		{"us-east's clients did not recover", func(r *Result) { r.Areas[1].ClientSuccessPctAfter = 90 },
			[]string{"us-east: client success after 90% < 99%"}},
		{"an area without devices", func(r *Result) { r.Areas = r.Areas[1:] },
			[]string{"europe: no figures (no devices in this area)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			r.Areas = slices.Clone(good.Areas)
			tt.change(&r)
			Check(&r, bounds)
			if !slices.Equal(r.Failures, tt.failed) || r.Pass != (len(tt.failed) == 0) {
				t.Errorf("want failures %q, got pass=%v %q", tt.failed, r.Pass, r.Failures)
			}
		})
	}
}

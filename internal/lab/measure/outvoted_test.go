package measure

import (
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

func view(at float64, vantage, endpoint, health string) ViewEvent {
	return ViewEvent{At: at, Vantage: vantage, Endpoint: endpoint, Health: health}
}

func TestOutvoted(t *testing.T) {
	allUp := map[string]string{"use1": "up", "usw2": "up"}
	tests := []struct {
		name     string
		views    []ViewEvent
		verdicts []VerdictEvent
		want     []Outvote
	}{
		{"agreeing all along", []ViewEvent{view(0, "a", "use1", "up")}, nil, []Outvote{}},
		{"saw down, the verdict stayed up to the end (a node cut off)",
			[]ViewEvent{view(0, "gcp", "use1", "up"), view(3.4, "gcp", "use1", "down")}, nil,
			[]Outvote{{Vantage: "gcp", Endpoint: "use1", Saw: "down", Agreed: "up", From: 3.4, To: 20}}},
		{"saw up while the quorum said down (gray failure), until it fell too",
			[]ViewEvent{view(0, "azure", "use1", "up"), view(6.5, "azure", "use1", "down")},
			[]VerdictEvent{down(3.5, "use1")},
			[]Outvote{{Vantage: "azure", Endpoint: "use1", Saw: "up", Agreed: "down", From: 3.5, To: 6.5}}},
		{"the first to see it is not outvoted: the quorum followed within 1 s",
			[]ViewEvent{view(0, "a", "use1", "up"), view(3.3, "a", "use1", "down")},
			[]VerdictEvent{down(3.9, "use1")}, []Outvote{}},
		{"the last to see it is not outvoted either",
			[]ViewEvent{view(0, "a", "use1", "up"), view(4.2, "a", "use1", "down")},
			[]VerdictEvent{down(3.9, "use1")}, []Outvote{}},
		{"exactly 1 s counts",
			[]ViewEvent{view(0, "a", "use1", "up"), view(4, "a", "use1", "down"), view(5, "a", "use1", "up")}, nil,
			[]Outvote{{Vantage: "a", Endpoint: "use1", Saw: "down", Agreed: "up", From: 4, To: 5}}},
		{"view and verdict changing at one instant: no disagreement between them",
			[]ViewEvent{view(0, "a", "use1", "up"), view(4, "a", "use1", "down")},
			[]VerdictEvent{down(4, "use1")}, []Outvote{}},
		{"a stopped node (unknown) disagrees with nothing",
			[]ViewEvent{view(0, "aws", "use1", "up"), view(3, "aws", "use1", "unknown")},
			[]VerdictEvent{down(3.6, "use1")}, []Outvote{}},
		{"a view stopping ends the span",
			[]ViewEvent{view(0, "aws", "use1", "down"), view(2.5, "aws", "use1", "unknown")}, nil,
			[]Outvote{{Vantage: "aws", Endpoint: "use1", Saw: "down", Agreed: "up", From: 0, To: 2.5}}},
		{"both flip: one span ends, the opposite one begins",
			[]ViewEvent{view(0, "a", "use1", "down"), view(5, "a", "use1", "up")},
			[]VerdictEvent{down(5, "use1")},
			[]Outvote{{Vantage: "a", Endpoint: "use1", Saw: "down", Agreed: "up", From: 0, To: 5},
				{Vantage: "a", Endpoint: "use1", Saw: "up", Agreed: "down", From: 5, To: 20}}},
		{"events after the end are not read",
			[]ViewEvent{view(0, "a", "use1", "up"), view(19.5, "a", "use1", "down"), view(25, "a", "use1", "up")}, nil, []Outvote{}},
		{"an endpoint without a known verdict is no one's to lose",
			[]ViewEvent{view(0, "a", "cdn-a", "down")}, nil, []Outvote{}},
		{"sorted by start, unsorted input",
			[]ViewEvent{view(8, "b", "usw2", "down"), view(2, "a", "use1", "down"), view(0, "b", "usw2", "up"), view(0, "a", "use1", "up")}, nil,
			[]Outvote{{Vantage: "a", Endpoint: "use1", Saw: "down", Agreed: "up", From: 2, To: 20},
				{Vantage: "b", Endpoint: "usw2", Saw: "down", Agreed: "up", From: 8, To: 20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 3, HealAt: -1, End: 20, Views: tt.views, Verdicts: tt.verdicts, VerdictsAtStart: allUp}).Outvoted
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outvoted:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestGroupOutvotesAndMarkers(t *testing.T) {
	r := Result{
		LeaderChanges: []LeaderChange{{T: 3.9, From: "aws-use1", To: "gcp-usc1", Term: 4}},
		Outvoted: []Outvote{
			{Vantage: "gcp", Endpoint: "use1", Saw: "down", Agreed: "up", From: 3.3, To: 17},
			{Vantage: "gcp", Endpoint: "usw2", Saw: "down", Agreed: "up", From: 3.4, To: 17},
			{Vantage: "azure", Endpoint: "use1", Saw: "up", Agreed: "down", From: 3.5, To: 5},
			{Vantage: "gcp", Endpoint: "usc1", Saw: "down", Agreed: "up", From: 9, To: 17},
		},
	}
	groups := GroupOutvotes(r.Outvoted)
	if len(groups) != 3 || !reflect.DeepEqual(groups[0].Endpoints, []string{"use1", "usw2"}) || groups[0].To != 17 {
		t.Fatalf("groups %+v: want gcp's first two together, azure's apart, gcp's late one apart", groups)
	}
	if got, want := groups[0].Sentence(), "gcp was outvoted: it saw use1, usw2 down while the agreed verdict was up, for 13.7 s"; got != want {
		t.Errorf("sentence %q, want %q", got, want)
	}
	marks := EventMarkers(r)
	want := []Marker{
		{T: 3.3, Kind: "outvoted", Label: "gcp outvoted", Detail: groups[0].Sentence()},
		{T: 3.5, Kind: "outvoted", Label: "azure outvoted", Detail: groups[1].Sentence()},
		{T: 3.9, Kind: "leader", Label: "leader gcp-usc1", Detail: "gcp-usc1 took over as leader from aws-use1 (term 4)"},
		{T: 9, Kind: "outvoted", Label: "gcp outvoted", Detail: groups[2].Sentence()},
	}
	if !reflect.DeepEqual(marks, want) {
		t.Errorf("markers:\n got %+v\nwant %+v", marks, want)
	}
}

func TestLeaderChangesPassThrough(t *testing.T) {
	in := []LeaderChange{{T: 3.9, From: "aws-use1", To: "gcp-usc1", Term: 4}}
	if got := Compute(Input{HealAt: -1, Leaders: in}).LeaderChanges; !reflect.DeepEqual(got, in) {
		t.Errorf("leader changes %+v, want %+v", got, in)
	}
	if got := Compute(Input{HealAt: -1}).LeaderChanges; got == nil {
		t.Error("no leader changes must be an empty list (JSON []), not null")
	}
}

// stateAt is a naive reference: the last event's health at or before t,
// else the starting one.
func stateAt[E any](events []E, t float64, at func(E) float64, health func(E) string, start string) string {
	h, last := start, -1.0
	for _, e := range events {
		if a := at(e); a <= t && a >= last {
			h, last = health(e), a
		}
	}
	return h
}

// Every outvote is at least OutvotedAfter long, inside the scenario, and
// the node's view and the verdict, looked up naively at its middle, say what
// it says.
func TestOutvotesAgreeWithANaiveLookup(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		in.VerdictsAtStart = map[string]string{"use1": "up", "usw2": "down"}
		in.Views = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) ViewEvent {
			return ViewEvent{
				At:       float64(rapid.IntRange(0, int(in.End)*4).Draw(t, "quarter")) / 4,
				Vantage:  rapid.SampledFrom([]string{"a", "b"}).Draw(t, "vantage"),
				Endpoint: rapid.SampledFrom(endpoints).Draw(t, "endpoint"),
				Health:   rapid.SampledFrom([]string{"up", "down", "unknown"}).Draw(t, "health"),
			}
		}), 0, 30).Draw(t, "views")
		for _, o := range Compute(in).Outvoted {
			if o.To-o.From < OutvotedAfter || o.From < 0 || o.To > in.End {
				t.Fatalf("outvote %+v: shorter than %v s or outside [0, %v]", o, OutvotedAfter, in.End)
			}
			mid := (o.From + o.To) / 2
			var views []ViewEvent
			for _, v := range in.Views {
				if v.Vantage == o.Vantage && v.Endpoint == o.Endpoint {
					views = append(views, v)
				}
			}
			var verdicts []VerdictEvent
			for _, v := range verdictChanges(in.Verdicts) {
				if v.Endpoint == o.Endpoint {
					verdicts = append(verdicts, v)
				}
			}
			saw := stateAt(views, mid, func(v ViewEvent) float64 { return v.At }, func(v ViewEvent) string { return v.Health }, "unknown")
			agreed := stateAt(verdicts, mid, func(v VerdictEvent) float64 { return v.At }, func(v VerdictEvent) string { return v.Health }, in.VerdictsAtStart[o.Endpoint])
			if saw != o.Saw || agreed != o.Agreed {
				t.Fatalf("outvote %+v: at %v the node saw %s and the verdict was %s", o, mid, saw, agreed)
			}
		}
		r := Compute(in)
		if r.ClientErrors > r.ClientRequests {
			t.Fatalf("%d errors of %d requests", r.ClientErrors, r.ClientRequests)
		}
	})
}

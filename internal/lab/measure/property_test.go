package measure

import (
	"testing"

	"pgregory.net/rapid"
)

var endpoints = []string{"use1", "usw2", "usc1"}

// genInput draws a scenario timeline: events, samples and buckets anywhere in
// [0, end], a fault, and sometimes a heal.
func genInput(t *rapid.T) Input {
	end := float64(rapid.IntRange(5, 40).Draw(t, "end"))
	fault := rapid.Float64Range(0, end).Draw(t, "fault")
	heal := -1.0
	if rapid.Bool().Draw(t, "healed") {
		heal = rapid.Float64Range(fault, end).Draw(t, "heal")
	}
	in := Input{FaultAt: fault, HealAt: heal, End: end, TTL: 1,
		Affected: []string{"use1"}, AffectedAddrs: []string{"127.77.1.1"}}
	in.Verdicts = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) VerdictEvent {
		return VerdictEvent{
			At:       rapid.Float64Range(0, end).Draw(t, "at"),
			Endpoint: rapid.SampledFrom(endpoints).Draw(t, "endpoint"),
			Health:   rapid.SampledFrom([]string{"up", "down"}).Draw(t, "health"),
		}
	}), 0, 20).Draw(t, "verdicts")
	in.Answers = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) AnswerSample {
		return AnswerSample{
			At:         rapid.Float64Range(0, end).Draw(t, "at"),
			Nameserver: rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "ns"),
			Addrs:      rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"127.77.1.1", "127.77.1.2"}), 0, 2, rapid.ID[string]).Draw(t, "addrs"),
		}
	}), 0, 40).Draw(t, "answers")
	for s := 0; s < int(end); s++ {
		req := rapid.IntRange(0, 10).Draw(t, "requests")
		in.Seconds = append(in.Seconds, Second{T: s, Requests: req, Successes: rapid.IntRange(0, req).Draw(t, "successes")})
	}
	return in
}

func TestPropertiesHold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		r := Compute(in)
		if r.ClientRecoveryS != -1 && r.ClientRecoveryS < 0 {
			t.Fatalf("client recovery %v is before the fault", r.ClientRecoveryS)
		}
		for name, d := range map[string]float64{"detection": r.DetectionS, "steering": r.SteeringS, "return": r.ReturnS} {
			if d != -1 && d < 0 {
				t.Fatalf("%s %v is negative but not -1", name, d)
			}
		}
		if r.Flaps < 0 || r.FalseFailovers < 0 || r.ClientErrors < 0 {
			t.Fatalf("negative count: flaps %d, false failovers %d, errors %d", r.Flaps, r.FalseFailovers, r.ClientErrors)
		}
		if r.ClientSuccessPctAfter < 0 || r.ClientSuccessPctAfter > 100 {
			t.Fatalf("success %v%% out of range", r.ClientSuccessPctAfter)
		}
		if in.HealAt < 0 && r.ReturnS != -1 {
			t.Fatalf("return %v without a heal", r.ReturnS)
		}
	})
}

// A verdict event later than every other can only add a detection, never
// make one earlier.
func TestLateVerdictCannotLowerDetection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		before := Compute(in).DetectionS
		late := in.End + rapid.Float64Range(0, 10).Draw(t, "late")
		in.Verdicts = append(in.Verdicts, VerdictEvent{
			At:       late,
			Endpoint: rapid.SampledFrom(endpoints).Draw(t, "endpoint"),
			Health:   rapid.SampledFrom([]string{"up", "down"}).Draw(t, "health"),
		})
		after := Compute(in).DetectionS
		if before >= 0 && after != before {
			t.Fatalf("a late event moved detection from %v to %v", before, after)
		}
	})
}

// Compute does not depend on the order of its events and samples (events
// at the same instant keep the caller's order, so those are left out).
func TestOrderDoesNotMatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		if hasTies(in) {
			t.Skip("events at the same instant")
		}
		want := Compute(in)
		shuffled := in
		shuffled.Verdicts = rapid.Permutation(in.Verdicts).Draw(t, "verdicts")
		shuffled.Answers = rapid.Permutation(in.Answers).Draw(t, "answers")
		got := Compute(shuffled)
		if got.DetectionS != want.DetectionS || got.SteeringS != want.SteeringS || got.ReturnS != want.ReturnS ||
			got.Flaps != want.Flaps || got.FalseFailovers != want.FalseFailovers {
			t.Fatalf("shuffled input changed the figures: %+v vs %+v", got, want)
		}
	})
}

func hasTies(in Input) bool {
	seen := map[float64]bool{}
	for _, v := range in.Verdicts {
		if seen[v.At] {
			return true
		}
		seen[v.At] = true
	}
	clear(seen)
	for _, a := range in.Answers {
		if seen[a.At] {
			return true
		}
		seen[a.At] = true
	}
	return false
}

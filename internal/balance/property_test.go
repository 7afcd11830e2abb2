package balance

import (
	"fmt"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var domains = []string{"aws/us-east-1", "aws/eu-west-1", "gcp/us-central1", "azure/westeurope", ""}

type scene struct {
	p       *Picker
	cands   []Candidate
	exclude []bool
	now     time.Time
	draw    uint64
}

// genScene draws candidates (some ramping, some weight 0, domains shared),
// an exclusion, a time and a draw.
func genScene(t *rapid.T) scene {
	n := rapid.IntRange(0, 8).Draw(t, "n")
	slow := SlowStart{
		Window:     time.Duration(rapid.IntRange(0, 120).Draw(t, "windowSec")) * time.Second,
		Aggression: rapid.SampledFrom([]float64{0, 0.5, 1, 2, 3.7}).Draw(t, "aggression"),
		MinPercent: rapid.SampledFrom([]float64{0, 1, 10, 50, 100}).Draw(t, "minPercent"),
	}
	s := scene{now: t0, draw: rapid.Uint64().Draw(t, "draw")}
	for i := range n {
		c := Candidate{
			Name:   fmt.Sprint("ep", i),
			Domain: rapid.SampledFrom(domains).Draw(t, "domain"),
			Weight: uint32(rapid.SampledFrom([]int{0, 0, 1, 2, 5, 1000, math.MaxUint32}).Draw(t, "weight")),
		}
		if rapid.Bool().Draw(t, "ramping") {
			c.UpSince = t0.Add(-time.Duration(rapid.IntRange(-10, 200).Draw(t, "upSec")) * time.Second)
		}
		s.cands = append(s.cands, c)
		s.exclude = append(s.exclude, rapid.IntRange(0, 3).Draw(t, "excluded") == 0)
	}
	p, err := New(s.cands, slow)
	if err != nil {
		t.Fatal(err)
	}
	s.p = p
	return s
}

func (s *scene) excludeHook() func(*Candidate) bool {
	return func(c *Candidate) bool {
		for i := range s.cands {
			if s.cands[i].Name == c.Name {
				return s.exclude[i]
			}
		}
		panic("hook called with a candidate the picker was not given: " + c.Name)
	}
}

func contains(set []int, i int) bool {
	for _, j := range set {
		if i == j {
			return true
		}
	}
	return false
}

func anyWeight(s *scene, set []int) bool {
	for _, i := range set {
		if s.cands[i].Weight > 0 {
			return true
		}
	}
	return false
}

// checkPick holds the two rules for one pick from set: it picks from set
// (never an excluded candidate) whenever set is non-empty, and
// only a candidate of weight > 0 when set has one.
func checkPick(t *rapid.T, s *scene, what string, i int, ok bool, set []int) {
	if ok != (len(set) > 0) {
		t.Fatalf("%s: ok = %v with eligible %v", what, ok, set)
	}
	if !ok {
		return
	}
	if !contains(set, i) {
		t.Fatalf("%s picked %d, not among the eligible %v (excluded %v)", what, i, set, s.exclude)
	}
	if anyWeight(s, set) && s.cands[i].Weight == 0 {
		t.Fatalf("%s picked %d of weight 0 while eligible %v hold weight > 0", what, i, set)
	}
}

func TestPropertyPickHonoursExclusionAndWeight(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genScene(t)
		var all []int
		for i := range s.cands {
			if !s.exclude[i] {
				all = append(all, i)
			}
		}
		i, ok := s.p.Pick(s.now, s.draw, s.excludeHook())
		checkPick(t, &s, "Pick", i, ok, all)
	})
}

func TestPropertyRampMonotonicAndBounded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		up := t0.Add(time.Duration(rapid.Int64Range(-1e12, 1e12).Draw(t, "up")))
		if rapid.IntRange(0, 9).Draw(t, "zeroUp") == 0 {
			up = time.Time{}
		}
		window := time.Duration(rapid.Int64Range(-1e9, 1e12).Draw(t, "window"))
		aggression := rapid.OneOf(rapid.Float64Range(-2, 10), rapid.SampledFrom([]float64{0, 1, 2, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300})).Draw(t, "aggression")
		minPercent := rapid.OneOf(rapid.Float64Range(-10, 200), rapid.SampledFrom([]float64{0, 10, 100, math.NaN(), math.Inf(1), 1e-300})).Draw(t, "minPercent")
		a := t0.Add(time.Duration(rapid.Int64Range(-2e12, 2e12).Draw(t, "a")))
		b := a.Add(time.Duration(rapid.Int64Range(0, 2e12).Draw(t, "later")))

		fa := Ramp(up, a, window, aggression, minPercent)
		fb := Ramp(up, b, window, aggression, minPercent)
		for _, f := range []float64{fa, fb} {
			if !(f > 0 && f <= 1) {
				t.Fatalf("Ramp = %v, want in (0, 1]", f)
			}
		}
		if fb < fa {
			t.Fatalf("Ramp fell from %v to %v as now advanced by %v", fa, fb, b.Sub(a))
		}
	})
}

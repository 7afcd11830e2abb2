package balance

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestSharesOverManyPicks draws 100,000 picks from a fixed-seed generator,
// as the proxy would with real randomness, and checks each candidate's share
// within 1 percentage point of Weight × ramp / total. With n = 100,000 one
// standard deviation of a share is at most 0.16 points, so the tolerance is
// over 6σ; the seed is fixed, so the test cannot flake either way.
func TestSharesOverManyPicks(t *testing.T) {
	const picks, tolerance = 100_000, 0.01
	tests := []struct {
		name string
		spec string
		want map[string]float64
	}{
		{"weights 1:2:7", "a/x:1 b/y:2 c/z:7", map[string]float64{"a": 0.1, "b": 0.2, "c": 0.7}},
		{"one of two at half its window", "a/x:1 b/y:1@50", map[string]float64{"a": 2.0 / 3, "b": 1.0 / 3}},
		{"weight 0 beside weights", "a/x:0 b/y:1 c/z:3", map[string]float64{"a": 0, "b": 0.25, "c": 0.75}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.spec)
			r := rand.New(rand.NewPCG(16, 2026))
			count := make([]int, p.Len())
			for range picks {
				i, ok := p.Pick(t0, r.Uint64(), nil)
				if !ok {
					t.Fatal("Pick found none among candidates with weight")
				}
				count[i]++
			}
			for i := range p.Len() {
				name := p.Candidate(i).Name
				got := float64(count[i]) / picks
				if math.Abs(got-tt.want[name]) > tolerance {
					t.Errorf("%s: share %.4f, want %.4f ± %.2f", name, got, tt.want[name], tolerance)
				}
			}
		})
	}
}

// TestRampSharesOverTime follows a returning endpoint through a 60 s window
// beside a steady one of equal weight: at each step its share of 100,000
// picks is f/(1+f) for the ramp factor f, within 1 percentage point.
func TestRampSharesOverTime(t *testing.T) {
	const picks, tolerance = 100_000, 0.01
	slow := SlowStart{Window: time.Minute}
	up := t0
	p, err := New([]Candidate{{Name: "steady", Weight: 1}, {Name: "back", Weight: 1, UpSince: up}}, slow)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 16))
	for _, elapsed := range []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second, 60 * time.Second} {
		now := up.Add(elapsed)
		back := 0
		for range picks {
			if i, _ := p.Pick(now, r.Uint64(), nil); i == 1 {
				back++
			}
		}
		f := slow.Factor(up, now)
		want, got := f/(1+f), float64(back)/picks
		if math.Abs(got-want) > tolerance {
			t.Errorf("after %v: returning endpoint's share %.4f, want %.4f ± %.2f", elapsed, got, want, tolerance)
		}
	}
}

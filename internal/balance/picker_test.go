package balance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// sweepN draws make the sweep: draw k stands for the point k/sweepN of
// [0, 1), so a candidate's count is its exact share × sweepN (±1 for
// rounding at the edges), with no randomness at all.
const sweepN = 1000

func sweepDraw(k int) uint64 { return uint64(k) * ((1 << 53) / sweepN) << 11 }

// cands builds candidates from "name/domain:weight" words, e.g.
// "a/aws:1 b/gcp:3"; a trailing "@pct" puts UpSince that share of a
// minute's window before t0 (e.g. "b/gcp:1@25").
func cands(t *testing.T, spec string) []Candidate {
	t.Helper()
	var out []Candidate
	for w := range strings.FieldsSeq(spec) {
		var c Candidate
		name, rest, _ := strings.Cut(w, "/")
		domain, rest, _ := strings.Cut(rest, ":")
		weight, up, ramping := strings.Cut(rest, "@")
		c.Name, c.Domain = name, domain
		if _, err := fmt.Sscan(weight, &c.Weight); err != nil {
			t.Fatalf("bad weight in %q: %v", w, err)
		}
		if ramping {
			var pct float64
			if _, err := fmt.Sscan(up, &pct); err != nil {
				t.Fatalf("bad ramp in %q: %v", w, err)
			}
			c.UpSince = t0.Add(-time.Duration(pct / 100 * float64(time.Minute)))
		}
		out = append(out, c)
	}
	return out
}

func mustNew(t *testing.T, spec string) *Picker {
	t.Helper()
	p, err := New(cands(t, spec), SlowStart{Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// excluding returns a hook that excludes the named candidates.
func excluding(names ...string) func(*Candidate) bool {
	if len(names) == 0 {
		return nil
	}
	return func(c *Candidate) bool { return slices.Contains(names, c.Name) }
}

// sweep counts, per name, the picks over the sweep's draws; "" counts the
// draws that found none.
func sweep(pick func(draw uint64) (int, bool), p *Picker) map[string]int {
	got := map[string]int{}
	for k := range sweepN {
		i, ok := pick(sweepDraw(k))
		if !ok {
			got[""]++
			continue
		}
		got[p.Candidate(i).Name]++
	}
	return got
}

// checkCounts compares counts with want within ±1.
func checkCounts(t *testing.T, got, want map[string]int) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; g < w-1 || g > w+1 {
			t.Errorf("%q picked %d times of %d, want %d (±1); all: %v", name, g, sweepN, w, got)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok && g > 0 {
			t.Errorf("%q picked %d times, want never; all: %v", name, g, got)
		}
	}
}

func TestPick(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		exclude []string
		want    map[string]int // "" = none left
	}{
		{"weights honoured", "a/aws:1 b/gcp:3", nil, map[string]int{"a": 250, "b": 750}},
		{"equal weights", "a/aws:5 b/gcp:5", nil, map[string]int{"a": 500, "b": 500}},
		{"weight 0 takes nothing while others are up", "a/aws:0 b/gcp:2 c/azure:2", nil, map[string]int{"b": 500, "c": 500}},
		{"all weights 0 share evenly", "a/aws:0 b/gcp:0", nil, map[string]int{"a": 500, "b": 500}},
		{"weight 0 shares evenly once the weighted are excluded", "a/aws:5 b/gcp:0 c/azure:0", []string{"a"}, map[string]int{"b": 500, "c": 500}},
		{"excluded is never picked", "a/aws:1 b/gcp:1 c/azure:2", []string{"c"}, map[string]int{"a": 500, "b": 500}},
		{"all excluded: none", "a/aws:1 b/gcp:1", []string{"a", "b"}, map[string]int{"": sweepN}},
		{"no candidates: none", "", nil, map[string]int{"": sweepN}},
		{"ramp at 25% scales the share", "a/aws:1 b/gcp:1@25", nil, map[string]int{"a": 800, "b": 200}},
		{"ramp at 0% is the 10% floor", "a/aws:1 b/gcp:1@0", nil, map[string]int{"a": 909, "b": 91}},
		{"ramp past the window is full weight", "a/aws:1 b/gcp:1@150", nil, map[string]int{"a": 500, "b": 500}},
		{"ramp scales a weight-0 fallback too", "a/aws:0 b/gcp:0@50", nil, map[string]int{"a": 667, "b": 333}},
		{"a ramping endpoint alone takes everything", "a/aws:1 b/gcp:1@10", []string{"a"}, map[string]int{"b": sweepN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.spec)
			ex := excluding(tt.exclude...)
			got := sweep(func(d uint64) (int, bool) { return p.Pick(t0, d, ex) }, p)
			checkCounts(t, got, tt.want)
		})
	}
}

func index(t *testing.T, p *Picker, name string) int {
	t.Helper()
	for i := range p.Len() {
		if p.Candidate(i).Name == name {
			return i
		}
	}
	t.Fatalf("no candidate %q", name)
	return -1
}

func TestNewRejects(t *testing.T) {
	many := make([]Candidate, MaxCandidates+1)
	for i := range many {
		many[i] = Candidate{Name: fmt.Sprint("ep", i), Weight: 1}
	}
	tests := []struct {
		name  string
		cands []Candidate
		slow  SlowStart
		want  string
	}{
		{"too many", many, SlowStart{}, "more than the 256"},
		{"empty name", []Candidate{{Name: "a"}, {}}, SlowStart{}, "candidate 1 has no name"},
		{"duplicate name", []Candidate{{Name: "a"}, {Name: "a"}}, SlowStart{}, `both named "a"`},
		{"bad slow start", []Candidate{{Name: "a"}}, SlowStart{Window: -1}, "slow_start.window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cands, tt.slow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(many[:MaxCandidates], SlowStart{}); err != nil {
		t.Errorf("New with exactly MaxCandidates: %v", err)
	}
}

func TestNewCopiesCandidates(t *testing.T) {
	in := []Candidate{{Name: "a", Weight: 1}, {Name: "b", Weight: 0}}
	p, err := New(in, SlowStart{})
	if err != nil {
		t.Fatal(err)
	}
	in[0].Weight, in[1].Weight = 0, 1
	if i, _ := p.Pick(t0, 0, nil); p.Candidate(i).Name != "a" {
		t.Errorf("picked %q after the caller changed its slice; the picker must keep its own copy", p.Candidate(i).Name)
	}
}

// TestPickLastCandidateAtTopDraw holds the rounding edge: the largest draw
// still picks a candidate, the last one with weight.
func TestPickLastCandidateAtTopDraw(t *testing.T) {
	p := mustNew(t, "a/x:1 b/y:3 c/z:0")
	i, ok := p.Pick(t0, ^uint64(0), nil)
	if !ok || p.Candidate(i).Name != "b" {
		t.Errorf("Pick with the largest draw = (%d, %v), want b", i, ok)
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	p := mustNew(t, "a/aws:1 b/aws:1 c/gcp:2@30 d/azure:0")
	ejected := func(c *Candidate) bool { return c.Name == "b" }
	allocs := testing.AllocsPerRun(100, func() { p.Pick(t0, 12345, ejected) })
	if allocs != 0 {
		t.Errorf("Pick allocates %v times per call; it runs per request and must not allocate", allocs)
	}
}

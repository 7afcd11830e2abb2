package balance

import (
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// MaxCandidates bounds the candidates of one Picker, so that a pick marks
// them in a fixed-size set on its stack and never allocates.
// A service has a handful of endpoints; 256 leaves room.
const MaxCandidates = 256

const words = MaxCandidates / 64

// Candidate is one upstream endpoint a request can go to.
type Candidate struct {
	// Name identifies the endpoint; unique within a Picker.
	Name string
	// Domain is the endpoint's failure domain, its location
	// "provider/region", for the caller's retry rule (the proxy excludes
	// the domains a request has tried).
	Domain string
	// Weight is the endpoint's share of traffic relative to the others;
	// 0 means none while any candidate of weight > 0 is eligible.
	Weight uint32
	// UpSince is when the agreed state last saw the endpoint come back up;
	// zero means up since before anyone remembers (no ramp).
	UpSince time.Time
}

// Picker chooses a candidate per request. It is immutable and safe for
// concurrent use.
type Picker struct {
	cands []Candidate
	slow  SlowStart
}

// New builds a Picker over a copy of cands. It fails if there are more than
// MaxCandidates, a name is empty or repeated, or slow is invalid. An empty
// list is allowed: every pick then reports none.
func New(cands []Candidate, slow SlowStart) (*Picker, error) {
	if len(cands) > MaxCandidates {
		return nil, fmt.Errorf("balance: %d candidates, more than the %d a picker holds; split the service", len(cands), MaxCandidates)
	}
	if err := slow.Validate(); err != nil {
		return nil, fmt.Errorf("balance: %w", err)
	}
	p := &Picker{
		cands: append([]Candidate(nil), cands...),
		slow:  slow,
	}
	var errs []error
	names := make(map[string]int, len(cands))
	for i, c := range p.cands {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("balance: candidate %d has no name", i))
		} else if j, dup := names[c.Name]; dup {
			errs = append(errs, fmt.Errorf("balance: candidates %d and %d are both named %q; names must be unique", j, i, c.Name))
		}
		names[c.Name] = i
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Len is the number of candidates.
func (p *Picker) Len() int { return len(p.cands) }

// Candidate returns candidate i, as given to New. The caller must not
// modify it.
func (p *Picker) Candidate(i int) *Candidate { return &p.cands[i] }

// Pick chooses one candidate not excluded, by weighted random over
// Weight × ramp factor at now, and returns its index. draw is a uniformly
// random uint64 (e.g. math/rand/v2's Uint64). exclude, which may be nil,
// removes ejected or otherwise unusable candidates; it must answer the same
// for a candidate within one call. ok is false when no candidate is left.
func (p *Picker) Pick(now time.Time, draw uint64, exclude func(*Candidate) bool) (i int, ok bool) {
	return p.choose(now, draw, exclude)
}

type bitset [words]uint64

func (b *bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b *bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// choose is the weighted pick among the candidates exclude leaves. The
// first pass marks them and sums their weights; the second walks the marked ones
// to the drawn point, recomputing each weight (the same operations in the
// same order give the same sums), so nothing is allocated and the caller's
// hook runs once per candidate.
func (p *Picker) choose(now time.Time, draw uint64, exclude func(*Candidate) bool) (int, bool) {
	var marked bitset
	n, anyWeight := 0, false
	for i := range p.cands {
		if exclude == nil || !exclude(&p.cands[i]) {
			marked.set(i)
			n++
			anyWeight = anyWeight || p.cands[i].Weight > 0
		}
	}
	if n == 0 {
		return -1, false
	}
	total := 0.0
	for w, word := range marked {
		for ; word != 0; word &= word - 1 {
			total += p.weight(w*64+bits.TrailingZeros64(word), now, anyWeight)
		}
	}
	// The top 53 bits of draw make a uniform float in [0, 1).
	target := float64(draw>>11) * 0x1p-53 * total
	last, sum := -1, 0.0
	for w, word := range marked {
		for ; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			ew := p.weight(i, now, anyWeight)
			if ew == 0 {
				continue
			}
			sum += ew
			if target < sum {
				return i, true
			}
			last = i
		}
	}
	// Not reached: target is one rounding of total times a factor below 1,
	// so it stays below the sum, which the loop rebuilds exactly. Should
	// that ever fail, the last candidate with weight takes the pick rather
	// than a request finding none.
	return last, last >= 0
}

// weight is candidate i's effective weight; anyWeight says whether some
// eligible candidate has Weight > 0 (if none, each counts as 1).
func (p *Picker) weight(i int, now time.Time, anyWeight bool) float64 {
	c := &p.cands[i]
	w := float64(c.Weight)
	if !anyWeight {
		w = 1
	}
	if w == 0 {
		return 0
	}
	return w * p.slow.Factor(c.UpSince, now)
}

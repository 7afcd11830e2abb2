package health

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

// reference is a deliberately naive health engine: it keeps every
// observation and, at each evaluation, replays the whole history to rebuild
// every view. It shares no code with Engine, so agreement between the two is
// evidence that Engine's incremental bookkeeping is right.
type reference struct {
	specs      []EndpointSpec // sorted by name
	vantages   []Vantage      // sorted by name
	staleAfter int
	history    []model.Observation
	health     map[string]model.Health
	since      map[string]time.Time
}

type refView struct {
	state model.Health
	last  model.Result
	at    time.Time
}

func (r *reference) observe(o model.Observation) error {
	known := func(name string, names []string) bool { return slices.Contains(names, name) }
	var eps, vs []string
	for _, s := range r.specs {
		eps = append(eps, s.Name)
	}
	for _, v := range r.vantages {
		vs = append(vs, v.Name)
	}
	if !known(o.Endpoint, eps) {
		return ErrUnknownEndpoint
	}
	if !known(o.Vantage, vs) {
		return ErrUnknownVantage
	}
	r.history = append(r.history, o)
	return nil
}

// view replays the history of one pair: drop observations older than one
// already accepted, then walk runs of equal results; a run against the
// current state flips it once it is long enough.
func (r *reference) view(spec EndpointSpec, vantage string) refView {
	var accepted []model.Observation
	for _, o := range r.history {
		if o.Endpoint != spec.Name || o.Vantage != vantage {
			continue
		}
		if len(accepted) > 0 && o.At.Before(accepted[len(accepted)-1].At) {
			continue
		}
		accepted = append(accepted, o)
	}
	if len(accepted) == 0 {
		return refView{}
	}
	v := refView{state: healthOf(accepted[0].Result.Up)}
	for i := 0; i < len(accepted); {
		j := i
		for j < len(accepted) && accepted[j].Result.Up == accepted[i].Result.Up {
			j++
		}
		need := spec.Fall
		if v.state == model.Down {
			need = spec.Rise
		}
		if healthOf(accepted[i].Result.Up) != v.state && j-i >= need {
			v.state = healthOf(accepted[i].Result.Up)
		}
		i = j
	}
	last := accepted[len(accepted)-1]
	v.last, v.at = last.Result, last.At
	return v
}

func healthOf(up bool) model.Health {
	if up {
		return model.Up
	}
	return model.Down
}

func (r *reference) verdict(spec EndpointSpec, now time.Time) model.Verdict {
	out := model.Verdict{Endpoint: spec.Name, Health: r.health[spec.Name], Since: r.since[spec.Name], Voters: len(r.vantages)}
	window := time.Duration(r.staleAfter) * spec.Interval
	for _, vt := range r.vantages {
		v := r.view(spec, vt.Name)
		fresh := !v.at.IsZero() && !now.After(v.at.Add(window))
		if fresh && v.state == model.Up {
			out.UpVotes++
		}
		if fresh && v.state == model.Down {
			out.DownVotes++
		}
		out.Evidence = append(out.Evidence, model.Evidence{
			Vantage: vt.Name, Location: vt.Location, State: v.state, Last: v.last, At: v.at, Fresh: fresh,
		})
	}
	return out
}

func (r *reference) evaluate(now time.Time) []model.Verdict {
	var changed []model.Verdict
	for _, spec := range r.specs {
		v := r.verdict(spec, now)
		fresh := v.UpVotes + v.DownVotes
		next := v.Health
		if 2*v.DownVotes > fresh {
			next = model.Down
		} else if 2*v.UpVotes > fresh {
			next = model.Up
		}
		if next != v.Health {
			r.health[spec.Name], r.since[spec.Name] = next, now
			v.Health, v.Since = next, now
			changed = append(changed, v)
		}
	}
	return changed
}

func (r *reference) verdicts(now time.Time) []model.Verdict {
	var out []model.Verdict
	for _, spec := range r.specs {
		out = append(out, r.verdict(spec, now))
	}
	return out
}

var allVantages = []Vantage{
	{"a", model.Location{Provider: "aws", Region: "us-east-1"}},
	{"b", model.Location{Provider: "gcp", Region: "us-central1"}},
	{"c", model.Location{Provider: "azure", Region: "westeurope"}},
	{"d", model.Location{Provider: "aws", Region: "eu-west-1"}},
	{"e", model.Location{Provider: "hetzner", Region: "fsn1"}},
}

// at turns a small drawn number into a time, in steps of 100ms so that
// equal timestamps and exact staleness boundaries happen often.
func at(tenths int) time.Time { return epoch.Add(time.Duration(tenths) * 100 * time.Millisecond) }

func TestEngineMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vantages := allVantages[:rapid.IntRange(1, 4).Draw(t, "vantages")]
		var specs []EndpointSpec
		for i, name := range []string{"use1", "euw1", "usc1"}[:rapid.IntRange(1, 3).Draw(t, "endpoints")] {
			specs = append(specs, EndpointSpec{
				Name:     name,
				Fall:     rapid.IntRange(1, 3).Draw(t, "fall"+name),
				Rise:     rapid.IntRange(1, 3).Draw(t, "rise"+name),
				Interval: time.Duration(1+i%2) * time.Second,
			})
		}
		opts := Options{StaleAfter: rapid.IntRange(0, 3).Draw(t, "staleAfter")}
		e, err := New(opts, specs, vantages)
		if err != nil {
			t.Fatal(err)
		}
		ref := &reference{staleAfter: opts.StaleAfter, vantages: vantages, health: map[string]model.Health{}, since: map[string]time.Time{}}
		if ref.staleAfter == 0 {
			ref.staleAfter = DefaultStaleAfter
		}
		ref.specs = slices.Clone(specs)
		slices.SortFunc(ref.specs, func(a, b EndpointSpec) int { return strings.Compare(a.Name, b.Name) })

		names := append([]string{"nobody"}, vantageNames(vantages)...)
		endpoints := append([]string{"nowhere"}, "use1", "euw1", "usc1")
		steps := rapid.IntRange(1, 100).Draw(t, "steps")
		for range steps {
			if rapid.IntRange(0, 3).Draw(t, "evaluate") == 0 {
				now := at(rapid.IntRange(0, 120).Draw(t, "now"))
				want, got := ref.evaluate(now), e.Evaluate(now)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Evaluate(%v):\n got  %+v\n want %+v", now.Sub(epoch), got, want)
				}
				if got, want := e.Verdicts(now), ref.verdicts(now); !reflect.DeepEqual(got, want) {
					t.Fatalf("Verdicts(%v):\n got  %+v\n want %+v", now.Sub(epoch), got, want)
				}
				continue
			}
			o := model.Observation{
				Vantage:  rapid.SampledFrom(names).Draw(t, "vantage"),
				Endpoint: rapid.SampledFrom(endpoints).Draw(t, "endpoint"),
				At:       at(rapid.IntRange(0, 100).Draw(t, "at")),
			}
			if rapid.Bool().Draw(t, "up") {
				o.Result = model.Result{Up: true, Reason: model.ReasonOK}
			} else {
				o.Result = model.Result{Reason: model.ReasonTimeout}
			}
			wantErr, gotErr := ref.observe(o), e.Observe(o)
			if !errors.Is(gotErr, wantErr) || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("Observe(%+v) = %v, want %v", o, gotErr, wantErr)
			}
		}
	})
}

func vantageNames(vs []Vantage) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

// TestSingleVantageCannotMoveVerdict holds the false-alarm guarantee: with
// three or more vantage points, every one but a rogue keeps reporting the
// same thing and stays fresh, and whatever the rogue reports, whenever, the
// verdict never leaves what the others say.
func TestSingleVantageCannotMoveVerdict(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vantages := allVantages[:rapid.IntRange(3, 5).Draw(t, "vantages")]
		rogue := rapid.SampledFrom(vantageNames(vantages)).Draw(t, "rogue")
		honest := rapid.Bool().Draw(t, "honestUp")
		spec := EndpointSpec{
			Name:     "use1",
			Fall:     rapid.IntRange(1, 3).Draw(t, "fall"),
			Rise:     rapid.IntRange(1, 3).Draw(t, "rise"),
			Interval: time.Second,
		}
		e, err := New(Options{}, []EndpointSpec{spec}, vantages)
		if err != nil {
			t.Fatal(err)
		}
		now := 0
		for step := range rapid.IntRange(1, 50).Draw(t, "steps") {
			now += rapid.IntRange(0, 10).Draw(t, "advance") // tenths of a second, within one interval
			for _, v := range vantages {
				if v.Name != rogue {
					observe(t, e, v.Name, at(now), honest)
				}
			}
			if rapid.Bool().Draw(t, "rogueSpeaks") {
				when := at(now - rapid.IntRange(0, 40).Draw(t, "rogueLag"))
				observe(t, e, rogue, when, rapid.Bool().Draw(t, "rogueUp"))
			}
			e.Evaluate(at(now))
			v, _ := e.Verdict("use1", at(now))
			if fresh := v.UpVotes + v.DownVotes; fresh < 2 {
				t.Fatalf("step %d: only %d fresh votes; the test should keep the others fresh", step, fresh)
			}
			if v.Health != healthOf(honest) {
				t.Fatalf("step %d: verdict %s, but every vantage except %s says %s: %+v", step, v.Health, rogue, healthOf(honest), v)
			}
		}
	})
}

func observe(t *rapid.T, e *Engine, vantage string, when time.Time, up bool) {
	r := model.Result{Up: up, Reason: model.ReasonOK}
	if !up {
		r.Reason = model.ReasonTimeout
	}
	if err := e.Observe(model.Observation{Vantage: vantage, Endpoint: "use1", At: when, Result: r}); err != nil {
		t.Fatal(err)
	}
}

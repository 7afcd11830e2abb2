package health

import (
	"errors"
	"fmt"
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

// verdict counts votes the long way: every fresh view is filed under its
// domain's name, and each domain then votes with its own majority.
func (r *reference) verdict(spec EndpointSpec, now time.Time) model.Verdict {
	out := model.Verdict{Endpoint: spec.Name, Health: r.health[spec.Name], Since: r.since[spec.Name]}
	window := time.Duration(r.staleAfter) * spec.Interval
	ups, downs := map[string]int{}, map[string]int{}
	var domainNames []string
	for _, vt := range r.vantages {
		domain := vt.Location.String()
		if domain == "" {
			domain = "node " + vt.Name // no location: a domain of its own
		}
		if !slices.Contains(domainNames, domain) {
			domainNames = append(domainNames, domain)
		}
		v := r.view(spec, vt.Name)
		fresh := !v.at.IsZero() && !now.After(v.at.Add(window))
		if fresh && v.state == model.Up {
			ups[domain]++
		}
		if fresh && v.state == model.Down {
			downs[domain]++
		}
		out.Evidence = append(out.Evidence, model.Evidence{
			Vantage: vt.Name, Location: vt.Location, State: v.state, Last: v.last, At: v.at, Fresh: fresh,
		})
	}
	out.Voters = len(domainNames)
	for _, d := range domainNames {
		if ups[d] > downs[d] {
			out.UpVotes++
		}
		if downs[d] > ups[d] {
			out.DownVotes++
		}
	}
	return out
}

func (r *reference) evaluate(now time.Time) []model.Verdict {
	var changed []model.Verdict
	for _, spec := range r.specs {
		v := r.verdict(spec, now)
		next := v.Health
		if 2*v.DownVotes > v.Voters {
			next = model.Down
		} else if 2*v.UpVotes > v.Voters {
			next = model.Up
		}
		if next != v.Health {
			r.health[spec.Name], r.since[spec.Name] = next, now
			v.Health, v.Since, v.From = next, now, v.Health
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

// domainPool is where drawn vantage points run: few places, so that several
// share a domain often, and an empty Location for nodes nobody placed.
var domainPool = []model.Location{
	{Provider: "aws", Region: "us-east-1"},
	{Provider: "gcp", Region: "us-central1"},
	{Provider: "azure", Region: "westeurope"},
	{},
}

// drawVantages draws vantage points a, b, c... in order, each somewhere in domainPool.
func drawVantages(t *rapid.T, n int) []Vantage {
	out := make([]Vantage, n)
	for i := range out {
		name := string(rune('a' + i))
		out[i] = Vantage{Name: name, Location: rapid.SampledFrom(domainPool).Draw(t, "location "+name)}
	}
	return out
}

// TestEngineMatchesReference drives Engine and the reference with the same
// steps and compares every answer. Some steps add a node, as the cluster does
// when a member joins: either with Rebuild, which keeps the views (the
// reference simply gains a vantage point), or with New and Restore, which keeps
// only the verdicts (the reference also forgets its history).
func TestEngineMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pool := drawVantages(t, 6)
		n := rapid.IntRange(1, 4).Draw(t, "vantages")
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
		e, err := New(opts, specs, pool[:n])
		if err != nil {
			t.Fatal(err)
		}
		ref := &reference{staleAfter: opts.StaleAfter, vantages: pool[:n], health: map[string]model.Health{}, since: map[string]time.Time{}}
		if ref.staleAfter == 0 {
			ref.staleAfter = DefaultStaleAfter
		}
		ref.specs = slices.Clone(specs)
		slices.SortFunc(ref.specs, func(a, b EndpointSpec) int { return strings.Compare(a.Name, b.Name) })

		names := append([]string{"nobody"}, vantageNames(pool)...)
		endpoints := append([]string{"nowhere"}, "use1", "euw1", "usc1")
		steps := rapid.IntRange(1, 100).Draw(t, "steps")
		for range steps {
			switch step := rapid.IntRange(0, 15).Draw(t, "step"); {
			case step < 4:
				now := at(rapid.IntRange(0, 120).Draw(t, "now"))
				compareEvaluate(t, e, ref, now)
			case step == 4 && n < len(pool):
				n++
				if e, err = e.Rebuild(opts, specs, pool[:n]); err != nil {
					t.Fatal(err)
				}
				ref.vantages = pool[:n]
			case step == 5 && n < len(pool):
				n++
				e = rejoin(t, e, opts, specs, pool[:n], at(rapid.IntRange(0, 120).Draw(t, "joinAt")))
				ref.vantages, ref.history = pool[:n], nil
			default:
				o := drawObservation(t, names, endpoints)
				wantErr, gotErr := ref.observe(o), e.Observe(o)
				if !errors.Is(gotErr, wantErr) || (gotErr == nil) != (wantErr == nil) {
					t.Fatalf("Observe(%+v) = %v, want %v", o, gotErr, wantErr)
				}
			}
		}
	})
}

func compareEvaluate(t *rapid.T, e *Engine, ref *reference, now time.Time) {
	want, got := ref.evaluate(now), e.Evaluate(now)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Evaluate(%v):\n got  %+v\n want %+v", now.Sub(epoch), got, want)
	}
	if got, want := e.Verdicts(now), ref.verdicts(now); !reflect.DeepEqual(got, want) {
		t.Fatalf("Verdicts(%v):\n got  %+v\n want %+v", now.Sub(epoch), got, want)
	}
}

// rejoin is what an integrator does with agreed verdicts and no views: a new
// engine with the new vantage set, every verdict of the old one restored.
func rejoin(t *rapid.T, old *Engine, opts Options, specs []EndpointSpec, vantages []Vantage, now time.Time) *Engine {
	e, err := New(opts, specs, vantages)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range old.Verdicts(now) {
		if err := e.Restore(v.Endpoint, v.Health, v.Since); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Vantages(); !reflect.DeepEqual(got, vantages) {
		t.Fatalf("Vantages() = %v, want %v", got, vantages)
	}
	return e
}

func drawObservation(t *rapid.T, vantages, endpoints []string) model.Observation {
	o := model.Observation{
		Vantage:  rapid.SampledFrom(vantages).Draw(t, "vantage"),
		Endpoint: rapid.SampledFrom(endpoints).Draw(t, "endpoint"),
		At:       at(rapid.IntRange(0, 100).Draw(t, "at")),
	}
	if rapid.Bool().Draw(t, "up") {
		o.Result = model.Result{Up: true, Reason: model.ReasonOK}
	} else {
		o.Result = model.Result{Reason: model.ReasonTimeout}
	}
	return o
}

// TestRestoredVerdictsHoldAfterJoin: a new engine with one more vantage
// point and the old verdicts restored keeps every verdict, at any time,
// until some vote is cast.
func TestRestoredVerdictsHoldAfterJoin(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pool := drawVantages(t, 5)
		n := rapid.IntRange(1, 4).Draw(t, "vantages")
		specs := []EndpointSpec{
			{Name: "use1", Fall: 1, Rise: 1, Interval: time.Second},
			{Name: "euw1", Fall: 2, Rise: 2, Interval: time.Second},
		}
		old, err := New(Options{}, specs, pool[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"use1", "euw1"} {
			h := rapid.SampledFrom([]model.Health{model.Unknown, model.Up, model.Down}).Draw(t, "health "+name)
			if err := old.Restore(name, h, at(rapid.IntRange(0, 10).Draw(t, "since "+name))); err != nil {
				t.Fatal(err)
			}
		}
		joined := rejoin(t, old, Options{}, specs, pool[:n+1], at(10))
		for range rapid.IntRange(1, 10).Draw(t, "evaluations") {
			if changed := joined.Evaluate(at(rapid.IntRange(0, 1000).Draw(t, "now"))); changed != nil {
				t.Fatalf("no vote was cast, yet %+v changed", changed)
			}
		}
		for _, v := range old.Verdicts(at(10)) {
			got, _ := joined.Verdict(v.Endpoint, at(10))
			if got.Health != v.Health || !got.Since.Equal(v.Since) {
				t.Fatalf("%s: restored %s since %v, now %s since %v", v.Endpoint, v.Health, v.Since, got.Health, got.Since)
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

// TestCrowdedDomainCannotOutvoteTwoOthers holds the point of voting by
// domain: two domains that agree and stay fresh decide, however many vantage
// points a third domain holds, whatever they say, and however many join it on
// the way (each join is a Rebuild, as the cluster makes when a member joins).
func TestCrowdedDomainCannotOutvoteTwoOthers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		crowd := model.Location{Provider: "aws", Region: "us-east-1"}
		var honest []Vantage
		for _, loc := range []model.Location{{Provider: "gcp", Region: "us-central1"}, {Provider: "azure", Region: "westeurope"}} {
			for i := range rapid.IntRange(1, 2).Draw(t, "members "+loc.Provider) {
				honest = append(honest, Vantage{Name: fmt.Sprintf("%s-%d", loc.Provider, i), Location: loc})
			}
		}
		crowded := func(k int) []Vantage {
			vs := slices.Clone(honest)
			for i := range k {
				vs = append(vs, Vantage{Name: fmt.Sprintf("aws-%d", i), Location: crowd})
			}
			return vs
		}
		k := rapid.IntRange(1, 4).Draw(t, "crowd")
		spec := EndpointSpec{Name: "use1", Fall: rapid.IntRange(1, 3).Draw(t, "fall"), Rise: rapid.IntRange(1, 3).Draw(t, "rise"), Interval: time.Second}
		e, err := New(Options{}, []EndpointSpec{spec}, crowded(k))
		if err != nil {
			t.Fatal(err)
		}
		honestUp := rapid.Bool().Draw(t, "honestUp")
		now := 0
		for step := range rapid.IntRange(1, 50).Draw(t, "steps") {
			now += rapid.IntRange(0, 10).Draw(t, "advance")
			if k < 12 && rapid.IntRange(0, 4).Draw(t, "join") == 0 {
				k++
				if e, err = e.Rebuild(Options{}, []EndpointSpec{spec}, crowded(k)); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range honest {
				observe(t, e, v.Name, at(now), honestUp)
			}
			for i := range k {
				if rapid.Bool().Draw(t, "crowdSpeaks") {
					lag := rapid.IntRange(0, 40).Draw(t, "crowdLag")
					observe(t, e, fmt.Sprintf("aws-%d", i), at(now-lag), rapid.Bool().Draw(t, "crowdUp"))
				}
			}
			e.Evaluate(at(now))
			v, _ := e.Verdict("use1", at(now))
			if v.Health != healthOf(honestUp) {
				t.Fatalf("step %d: %d nodes in %s outvoted two agreeing domains: verdict %s, want %s: %+v",
					step, k, crowd, v.Health, healthOf(honestUp), v)
			}
			if v.Voters != 3 {
				t.Fatalf("step %d: %d domains counted, want 3", step, v.Voters)
			}
		}
	})
}

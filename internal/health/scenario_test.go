package health

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"outlast/internal/model"
)

// TestScenarios runs the scripts in testdata/scenarios. Each script builds an engine
// and drives it with commands a reader can follow without knowing Go:
//
//	options stale-after=3                        staleness window in intervals
//	endpoints use1 euw1 fall=2 rise=3 interval=1s
//	vantages a=aws/us-east-1 b=gcp/us-central1   name=provider/region (or name=none: no location)
//	observe t=1s vantage=(a,b) endpoint=use1 fail reason=timeout
//	evaluate t=1s                                prints the verdicts that changed
//	verdicts t=1s                                prints every verdict
//	restore endpoint=use1 health=down t=0s       seeds a verdict as a new leader would
//	join e=hetzner/fsn1 t=5s                     a node joins: a new engine with one more vantage
//	                                             point and every verdict restored (add carry-views
//	                                             to build it with Rebuild, which keeps the views too)
//
// Times are offsets from the start of the scenario. Regenerate the expected
// output with: go test ./internal/health -run TestScenarios -rewrite
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		s := &scenario{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return s.run(t, d)
		})
	})
}

// epoch is the scenario's time zero; any fixed instant would do.
var epoch = time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)

type scenario struct {
	opts      Options
	endpoints []EndpointSpec
	vantages  []Vantage
	engine    *Engine
}

func (s *scenario) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "options":
		d.ScanArgs(t, "stale-after", &s.opts.StaleAfter)
		s.engine = nil
		return "ok"
	case "endpoints":
		return s.addEndpoints(t, d)
	case "vantages":
		return s.addVantages(t, d)
	case "observe":
		return s.observe(t, d)
	case "evaluate":
		before := s.mustEngine(t).Health()
		changed := s.engine.Evaluate(scanTime(t, d))
		if len(changed) == 0 {
			return "no change"
		}
		return formatVerdicts(changed, before)
	case "verdicts":
		return formatVerdicts(s.mustEngine(t).Verdicts(scanTime(t, d)), nil)
	case "restore":
		return s.restore(t, d)
	case "join":
		return s.join(t, d)
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
		return ""
	}
}

func (s *scenario) mustEngine(t *testing.T) *Engine {
	if s.engine == nil {
		e, err := New(s.opts, s.endpoints, s.vantages)
		if err != nil {
			t.Fatal(err)
		}
		s.engine = e
	}
	return s.engine
}

func (s *scenario) addEndpoints(t *testing.T, d *datadriven.TestData) string {
	spec := EndpointSpec{Fall: 3, Rise: 2, Interval: time.Second}
	d.MaybeScanArgs(t, "fall", &spec.Fall)
	d.MaybeScanArgs(t, "rise", &spec.Rise)
	var interval string
	if d.MaybeScanArgs(t, "interval", &interval) {
		spec.Interval = mustDuration(t, interval)
	}
	for _, arg := range d.CmdArgs {
		if len(arg.Vals) == 0 {
			spec.Name = arg.Key
			s.endpoints = append(s.endpoints, spec)
		}
	}
	s.engine = nil
	return "ok"
}

func (s *scenario) addVantages(t *testing.T, d *datadriven.TestData) string {
	s.vantages = append(s.vantages, scanVantages(t, d)...)
	s.engine = nil
	return "ok"
}

// scanVantages reads name=provider/region arguments; "none" leaves the
// location empty. Arguments without a value are skipped.
func scanVantages(t *testing.T, d *datadriven.TestData) []Vantage {
	var out []Vantage
	for _, arg := range d.CmdArgs {
		if len(arg.Vals) == 0 || arg.Key == "t" {
			continue
		}
		var loc model.Location
		if val := arg.SingleVal(t); val != "none" {
			var err error
			if loc, err = model.ParseLocation(val); err != nil {
				d.Fatalf(t, "%v", err)
			}
		}
		out = append(out, Vantage{Name: arg.Key, Location: loc})
	}
	return out
}

// join does what the cluster does when a node joins: it builds a new engine
// with the larger vantage set and restores every verdict of the old one, as
// agreed state would hold them. The old engine's views are lost unless
// carry-views asks for Rebuild.
func (s *scenario) join(t *testing.T, d *datadriven.TestData) string {
	old := s.mustEngine(t)
	s.vantages = append(s.vantages, scanVantages(t, d)...)
	var next *Engine
	var err error
	if d.HasArg("carry-views") {
		next, err = old.Rebuild(s.opts, s.endpoints, s.vantages)
	} else if next, err = New(s.opts, s.endpoints, s.vantages); err == nil {
		for _, v := range old.Verdicts(scanTime(t, d)) {
			if err := next.Restore(v.Endpoint, v.Health, v.Since); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err != nil {
		return "error: " + err.Error()
	}
	s.engine = next
	var names []string
	for _, v := range next.Vantages() {
		names = append(names, v.Name)
	}
	return "ok; vantages now " + strings.Join(names, " ")
}

func (s *scenario) observe(t *testing.T, d *datadriven.TestData) string {
	e := s.mustEngine(t)
	at := scanTime(t, d)
	var endpoint string
	d.ScanArgs(t, "endpoint", &endpoint)
	vantages, _ := d.Arg("vantage")
	res := model.Result{Up: true, Reason: model.ReasonOK}
	if d.HasArg("fail") {
		res = model.Result{Up: false, Reason: model.ReasonError}
		var reason string
		if d.MaybeScanArgs(t, "reason", &reason) {
			res.Reason = model.Reason(reason)
		}
	} else if !d.HasArg("ok") {
		d.Fatalf(t, "observe needs ok or fail")
	}
	var out strings.Builder
	for _, vantage := range vantages.Vals {
		o := model.Observation{Vantage: vantage, Endpoint: endpoint, At: at, Result: res}
		ei, okE := e.endpointIdx[endpoint]
		vi, okV := e.vantageIdx[vantage]
		if !okE || !okV {
			fmt.Fprintf(&out, "error: %v\n", e.Observe(o))
			continue
		}
		ep := &e.endpoints[ei]
		before := ep.views[vi]
		if err := e.Observe(o); err != nil {
			t.Fatalf("observe of a known pair failed: %v", err)
		}
		if before.seen && at.Before(before.at) {
			fmt.Fprintf(&out, "%s seen from %s: ignored, older than the last observation at %s\n",
				endpoint, vantage, offset(before.at))
			continue
		}
		fmt.Fprintf(&out, "%s seen from %s: %s\n", endpoint, vantage, describeView(ep.views[vi], ep.spec))
	}
	return out.String()
}

func (s *scenario) restore(t *testing.T, d *datadriven.TestData) string {
	var endpoint, health string
	d.ScanArgs(t, "endpoint", &endpoint)
	d.ScanArgs(t, "health", &health)
	h := map[string]model.Health{"up": model.Up, "down": model.Down, "unknown": model.Unknown}[health]
	if err := s.mustEngine(t).Restore(endpoint, h, scanTime(t, d)); err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}

func describeView(v view, spec EndpointSpec) string {
	switch {
	case v.Streak == 0:
		return v.State.String()
	case v.State == model.Up:
		return fmt.Sprintf("up (%d of %d failures toward down)", v.Streak, spec.Fall)
	default:
		return fmt.Sprintf("down (%d of %d successes toward up)", v.Streak, spec.Rise)
	}
}

// formatVerdicts prints verdicts with their evidence; with before set they
// are changes, printed as "old -> new".
func formatVerdicts(vs []model.Verdict, before map[string]model.Health) string {
	var out strings.Builder
	for _, v := range vs {
		votes := fmt.Sprintf("domain votes %d down, %d up; %d of %d domains voted",
			v.DownVotes, v.UpVotes, v.DownVotes+v.UpVotes, v.Voters)
		if before != nil {
			fmt.Fprintf(&out, "%s: %s -> %s at %s (%s)\n", v.Endpoint, before[v.Endpoint], v.Health, offset(v.Since), votes)
		} else {
			fmt.Fprintf(&out, "%s: %s since %s (%s)\n", v.Endpoint, v.Health, offset(v.Since), votes)
		}
		for _, ev := range v.Evidence {
			loc := ev.Location.String()
			if loc == "" {
				loc = "no location"
			}
			fmt.Fprintf(&out, "  %s (%s): %s\n", ev.Vantage, loc, describeEvidence(ev))
		}
		describeSharedDomains(&out, v.Evidence)
	}
	return out.String()
}

// describeSharedDomains spells out, for a reader of the scenario, how each
// domain with more than one vantage point voted. It is display only: the
// counts printed above come from the engine.
func describeSharedDomains(out *strings.Builder, evidence []model.Evidence) {
	var order []model.Location
	members := map[model.Location][]model.Evidence{}
	for _, ev := range evidence {
		if ev.Location == (model.Location{}) {
			continue
		}
		if _, ok := members[ev.Location]; !ok {
			order = append(order, ev.Location)
		}
		members[ev.Location] = append(members[ev.Location], ev)
	}
	for _, loc := range order {
		if len(members[loc]) < 2 {
			continue
		}
		var up, down int
		for _, ev := range members[loc] {
			if ev.Fresh && ev.State == model.Up {
				up++
			} else if ev.Fresh && ev.State == model.Down {
				down++
			}
		}
		vote := "abstains"
		if up > down {
			vote = "votes up"
		} else if down > up {
			vote = "votes down"
		}
		fmt.Fprintf(out, "  domain %s (%d vantages): %s (fresh views %d down, %d up)\n", loc, len(members[loc]), vote, down, up)
	}
}

func describeEvidence(ev model.Evidence) string {
	if ev.At.IsZero() {
		return "never seen"
	}
	last := "ok"
	if !ev.Last.Up {
		last = "fail " + string(ev.Last.Reason)
	}
	fresh := "fresh"
	if !ev.Fresh {
		fresh = "stale"
	}
	return fmt.Sprintf("%s, last %s at %s, %s", ev.State, last, offset(ev.At), fresh)
}

func offset(at time.Time) string {
	if at.IsZero() {
		return "start"
	}
	return at.Sub(epoch).String()
}

func scanTime(t *testing.T, d *datadriven.TestData) time.Time {
	var s string
	d.ScanArgs(t, "t", &s)
	return epoch.Add(mustDuration(t, s))
}

func mustDuration(t *testing.T, s string) time.Duration {
	dur, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("bad duration %q: %v", s, err)
	}
	return dur
}

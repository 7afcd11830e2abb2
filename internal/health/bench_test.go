package health

import (
	"fmt"
	"testing"
	"time"

	"outlast/internal/model"
)

// sharedVantages are five vantage points in three domains, two, two and one.
var sharedVantages = []Vantage{
	{"a1", model.Location{Provider: "aws", Region: "us-east-1"}},
	{"a2", model.Location{Provider: "aws", Region: "us-east-1"}},
	{"g1", model.Location{Provider: "gcp", Region: "us-central1"}},
	{"g2", model.Location{Provider: "gcp", Region: "us-central1"}},
	{"z", model.Location{Provider: "azure", Region: "westeurope"}},
}

// benchEngine builds an engine of n endpoints seen by the five vantages of
// allVantages (five domains), each pair observed once at epoch.
func benchEngine(b *testing.B, n int) (*Engine, []string) {
	return benchEngineWith(b, n, allVantages)
}

func benchEngineWith(b *testing.B, n int, allVantages []Vantage) (*Engine, []string) {
	b.Helper()
	specs := make([]EndpointSpec, n)
	names := make([]string, n)
	for i := range specs {
		names[i] = fmt.Sprintf("endpoint-%04d", i)
		specs[i] = EndpointSpec{Name: names[i], Fall: 3, Rise: 2, Interval: time.Second}
	}
	e, err := New(Options{}, specs, allVantages)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		for _, v := range allVantages {
			if err := e.Observe(model.Observation{Vantage: v.Name, Endpoint: name, At: epoch, Result: model.Result{Up: true}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return e, names
}

// BenchmarkObserve is the cost of one observation; its inverse is the
// observations per second one core can take in.
func BenchmarkObserve(b *testing.B) {
	e, names := benchEngine(b, 1000)
	var i int
	for b.Loop() {
		o := model.Observation{
			Vantage:  allVantages[i%len(allVantages)].Name,
			Endpoint: names[(i/len(allVantages))%len(names)],
			At:       epoch.Add(time.Duration(i) * time.Millisecond),
			Result:   model.Result{Up: i%7 != 0, Reason: model.ReasonOK},
		}
		if err := e.Observe(o); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkEvaluate is one evaluation of 1000 endpoints × 5 vantages when
// nothing changes, the steady state the leader runs every tick.
func BenchmarkEvaluate(b *testing.B) {
	benchEvaluate(b, allVantages)
}

// BenchmarkEvaluateSharedDomains is the same with the five vantages in three
// domains, so that votes are merged inside domains first.
func BenchmarkEvaluateSharedDomains(b *testing.B) {
	benchEvaluate(b, sharedVantages)
}

func benchEvaluate(b *testing.B, vantages []Vantage) {
	e, _ := benchEngineWith(b, 1000, vantages)
	now := epoch.Add(time.Second)
	if len(e.Evaluate(now)) != 1000 {
		b.Fatal("first evaluation should turn every endpoint up")
	}
	for b.Loop() {
		if changed := e.Evaluate(now); changed != nil {
			b.Fatalf("%d unexpected changes", len(changed))
		}
	}
}

// BenchmarkEvaluateAllChange is the worst case: every endpoint flips and
// its verdict and evidence are built.
func BenchmarkEvaluateAllChange(b *testing.B) {
	e, _ := benchEngine(b, 1000)
	now := epoch.Add(time.Second)
	for b.Loop() {
		for i := range e.endpoints {
			e.endpoints[i].health = model.Unknown
		}
		if len(e.Evaluate(now)) != 1000 {
			b.Fatal("every endpoint should change")
		}
	}
}

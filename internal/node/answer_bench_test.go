package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/steer"
)

// BenchmarkRebuildAnswers times what every node does after each applied
// change (answerLoop, buildAnswers): steer every service from the state and
// pack a new DNS snapshot, here for 100 services of 100 endpoints each.
// Changes that arrive while it runs are coalesced into the next rebuild.
func BenchmarkRebuildAnswers(b *testing.B) {
	cfg := benchConfig(b, 100, 100)
	m := state.NewMachine(nil)
	now := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	var verdicts []model.Verdict
	for _, svc := range cfg.Services {
		for _, e := range svc.Endpoints {
			verdicts = append(verdicts, model.Verdict{Endpoint: e.Name, Health: model.Up, Since: now})
		}
	}
	for i, cmd := range []state.Command{
		{Kind: state.SetConfig, At: now, Config: &config.Shared{Health: cfg.Health, Zones: cfg.Zones, Services: cfg.Services}, ConfigHash: "h"},
		{Kind: state.SetVerdicts, At: now, Verdicts: verdicts},
	} {
		data, err := state.Encode(cmd)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Apply(uint64(i+1), data); err != nil {
			b.Fatal(err)
		}
	}
	st := m.Current()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		answers := steer.Answers(st.Services(now), func(name string) model.Health { return st.Health(name, now) }, nil)
		if _, err := dnsserver.NewSnapshot(cfg.Zones, answers, dnsserver.Static{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchConfig is services × perService endpoints, all probed over TCP.
func benchConfig(b *testing.B, services, perService int) *config.Config {
	var y strings.Builder
	y.WriteString("node: {name: n1, location: local/lab}\nzones:\n  - apex: example.test\n    ns: [{name: ns1.example.test, addresses: [127.0.0.1]}]\nservices:\n")
	for s := range services {
		fmt.Fprintf(&y, "  - name: s%d.example.test\n    type: A\n    policy: all\n    check: {type: tcp, port: 80}\n    endpoints:\n", s)
		for e := range perService {
			fmt.Fprintf(&y, "      - {name: s%de%d, location: aws/r%d, addresses: [10.%d.%d.1]}\n", s, e, e%3, s, e)
		}
	}
	cfg, err := config.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// BenchmarkOwnViewEvaluate is what every node adds to its decide loop's
// 50 ms tick to know its own probes' verdicts (for the cut-off rule):
// evaluating a one-vantage engine of 100 × 100 endpoints when nothing
// changes, the steady state.
func BenchmarkOwnViewEvaluate(b *testing.B) {
	cfg := benchConfig(b, 100, 100)
	var v ownView
	now := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	v.evaluate(cfg, now)
	for _, svc := range cfg.Services {
		for _, e := range svc.Endpoints {
			v.observe(model.Observation{Vantage: "n1", Endpoint: e.Name, At: now, Result: model.Result{Up: true}})
		}
	}
	v.evaluate(cfg, now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if v.evaluate(cfg, now.Add(time.Duration(i)*time.Microsecond)) {
			b.Fatal("nothing changed, yet the view says it did")
		}
	}
}

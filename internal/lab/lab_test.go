package lab

import (
	"context"
	"log/slog"
	"os"
	"testing"
)

// TestScenarios plays scenarios in a real lab and holds them to their
// bounds. It takes about 20 s per scenario, so it runs only the one named by
// OUTLAST_LAB_SCENARIO (default region-outage; "all" for every one);
// `outlast demo` plays them all.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	name := os.Getenv("OUTLAST_LAB_SCENARIO")
	if name == "" {
		name = "region-outage"
	}
	l, err := Start(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, sc := range Scenarios() {
		if name != "all" && sc.Name != name {
			continue
		}
		r, err := l.Run(context.Background(), sc, RunOptions{Progress: func(line string) { t.Log(line) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: detection %.2f s, steering %.2f s, client recovery %.0f s, errors %d, success after %.2f%%, false failovers %d, flaps %d, return %.2f s",
			r.Name, r.DetectionS, r.SteeringS, r.ClientRecoveryS, r.ClientErrors, r.ClientSuccessPctAfter, r.FalseFailovers, r.Flaps, r.ReturnS)
		if !r.Pass {
			t.Errorf("%s failed its bounds: %v", r.Name, r.Failures)
		}
	}
}

package lab

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"outlast/internal/lab/measure"
)

// TestScenarios plays scenarios in a real lab and holds them to their
// bounds. It takes about 20 s per scenario, so it runs only those named by
// OUTLAST_LAB_SCENARIO, comma-separated (default region-outage; "all" for
// every one; target-dns-down plays a hostname endpoint kept through its DNS
// failing, geo-region-outage two client areas, proxy-region-outage devices
// through the nodes' HTTP proxies beside DNS-only ones); `go run
// ./cmd/outlast-lab` plays them all.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	names := strings.Split(cmp.Or(os.Getenv("OUTLAST_LAB_SCENARIO"), "region-outage"), ",")
	l, err := Start(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, sc := range Scenarios() {
		if !slices.Contains(names, "all") && !slices.Contains(names, sc.Name) {
			continue
		}
		r, err := l.Run(context.Background(), sc, RunOptions{Progress: func(line string) { t.Log(line) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: detection %.2f s, steering %.2f s, client recovery %.0f s, errors %d, success after %.2f%%, false failovers %d, flaps %d, return %.2f s, stale %.2f s, fresh again %.2f s, answers off %d/%d",
			r.Name, r.DetectionS, r.SteeringS, r.ClientRecoveryS, r.ClientErrors, r.ClientSuccessPctAfter, r.FalseFailovers, r.Flaps, r.ReturnS,
			r.StaleS, r.FreshS, r.OffAnswers, r.KeptPolls)
		for _, a := range r.Areas {
			t.Logf("%s: area %s: answered %v, then %v; moved after %.2f s, %d moves, %d false failovers; its clients %d/%d errors, success %.2f%% from the fault, %.2f%% after",
				r.Name, a.Area, a.Before, a.After, a.MovedS, a.Moves, a.FalseFailovers, a.ClientErrors, a.ClientRequests, a.ClientSuccessPct, a.ClientSuccessPctAfter)
		}
		for name, g := range map[string]*measure.ClientGroup{"dns-only": r.DNSOnly, "proxied": r.Proxied} {
			if g != nil {
				t.Logf("%s: %s clients %d/%d errors, success %.2f%% from the fault, %.2f%% after; slowest request %.3f s (%.3f s before the fault), served by %v",
					r.Name, name, g.ClientErrors, g.ClientRequests, g.ClientSuccessPct, g.ClientSuccessPctAfter, g.MaxLatencyS, g.MaxLatencyBeforeS, g.ServedBy)
			}
		}
		for _, m := range measure.EventMarkers(r) {
			t.Logf("%s: %.1f s: %s", r.Name, m.T, m.Detail)
		}
		if !r.Pass {
			t.Errorf("%s failed its bounds: %v", r.Name, r.Failures)
		}
	}
}

// TestPrimaryRegionOutage plays issue 17's demo in a real lab with 50
// devices (about 25 s): db-use1's region fails, db-gcp is promoted
// through its hook, the name moves, db-use1 is demoted after the heal and
// the name stays on db-gcp, with no moment of two primaries answered.
func TestPrimaryRegionOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	l, err := Start(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sc := primaryRegionOutage()
	r, err := l.Run(context.Background(), sc, RunOptions{Devices: 50, Progress: func(line string) { t.Log(line) }})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Primary
	if p == nil {
		t.Fatal("no primary figures: the role checker did not run")
	}
	t.Logf("%s: detection %.2f s, steering %.2f s; primary %+v", r.Name, r.DetectionS, r.SteeringS, *p)
	switch {
	case r.Pass:
	case raceDetector:
		// Under the race detector on CI's two cores, probes of endpoints
		// the fault does not touch time out now and then: a false failover
		// or a flap of another service (seen once in CI). The primary's own
		// figures are held below whatever the build; every bound is held
		// by TestDemoPrimaryRegionOutageJSON (cmd/outlast-lab), which plays
		// this scenario from a plain build in CI.
		t.Logf("%s missed bounds under the race detector: %v", r.Name, r.Failures)
	default:
		t.Errorf("%s failed its bounds: %v", r.Name, r.Failures)
	}
	if p.From != "db-use1" || p.To != "db-gcp" || p.Promotions != 1 || p.Violations != 0 || p.Epoch < 2 {
		t.Errorf("want db-use1 → db-gcp, one promotion, no violation, epoch at least 2; got %+v", *p)
	}
	if got := l.roleServer("db-use1").Role(); got != Replica {
		t.Errorf("db-use1 is %s after the scenario, want replica (on_demote ran)", got)
	}
}

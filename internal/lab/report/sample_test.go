package report

import (
	"math"
	"time"

	"outlast/internal/lab"
	"outlast/internal/lab/measure"
)

// The hand-built report the tests share: three scenarios shaped like a
// real run (200 devices, TTL 5 s), one of them failing a bound.

const devices = 200

// shift returns the share of clients (0..1) that have moved k seconds
// after a steering change that took effect at `at`: clients refresh their
// cached answer spread over the 5 s TTL.
func shift(t, at float64) float64 {
	return math.Max(0, math.Min(1, (t-at)/5))
}

func regionOutage() lab.Result {
	r := lab.Result{
		Name: "region-outage", Title: "One region hangs (AWS us-east-1, 7 December 2021)",
		Description: "us-east-1 accepts connections and never answers. Traffic must leave it within seconds.",
		DetectionS:  1.6, SteeringS: 2.1, ClientRecoveryS: 7.0, ClientErrors: 812, ClientRequests: 6000, ClientSuccessPctAfter: 99.8,
		ReturnS: -1, Pass: true, FaultAt: 10, HealAt: -1,
		Markers: []lab.Marker{{T: 10, Kind: "fault", Label: "fault"}, {T: 11.6, Kind: "verdict", Label: "use1 down"}},
	}
	for t := 0; t < 40; t++ {
		moved := 1.0
		if float64(t) >= r.FaultAt {
			moved = shift(float64(t), r.FaultAt+r.SteeringS)
		}
		s := lab.Second{T: t, Requests: devices, ServedBy: map[string]int{}}
		if float64(t) < r.FaultAt {
			s.ServedBy["use1"] = devices
		} else {
			s.ServedBy["usw2"] = int(moved * devices)
		}
		s.Successes = s.ServedBy["use1"] + s.ServedBy["usw2"]
		r.Seconds = append(r.Seconds, s)
	}
	return r
}

// falseAlarm's cut-off node led: the others elect a new leader, and the
// cut-off node, seeing every endpoint down, is outvoted.
func falseAlarm() lab.Result {
	r := lab.Result{
		Name: "false-alarm", Title: "False alarm: one outlast node loses its own network",
		Description: "The node in GCP is cut off. The others still see every endpoint healthy: no failover.",
		DetectionS:  -1, SteeringS: -1, ClientRecoveryS: 0, ClientRequests: 4800, ClientSuccessPctAfter: 100,
		ReturnS: -1, Pass: true, FaultAt: 8, HealAt: 25,
		Markers:       []lab.Marker{{T: 8, Kind: "fault", Label: "fault"}, {T: 25, Kind: "heal", Label: "heal"}},
		LeaderChanges: []lab.LeaderChange{{T: 9.2, From: "gcp-usc1", To: "azure-weu", Term: 7}},
		Outvoted: []lab.Outvote{
			{Vantage: "gcp-usc1", Endpoint: "use1", Saw: "down", Agreed: "up", From: 8.5, To: 25},
			{Vantage: "gcp-usc1", Endpoint: "usw2", Saw: "down", Agreed: "up", From: 8.6, To: 25},
		},
	}
	r.Markers = append(r.Markers, measure.EventMarkers(r)...)
	for t := 0; t < 32; t++ {
		r.Seconds = append(r.Seconds, lab.Second{T: t, Requests: devices, Successes: devices,
			ServedBy: map[string]int{"use1": devices}})
	}
	r.Seconds[0] = lab.Second{T: 0, ServedBy: map[string]int{}} // clients still starting
	return r
}

func recovery() lab.Result {
	r := lab.Result{
		Name: "recovery", Title: "The region comes back",
		Description: "us-east-1 hangs, then recovers. Traffic returns only after rise good probes, without flapping.",
		DetectionS:  1.4, SteeringS: 2.3, ClientRecoveryS: 7.2, ClientErrors: 790, ClientRequests: 6800, ClientSuccessPctAfter: 99.5,
		Flaps: 1, ReturnS: 2.2, Pass: false, Failures: []string{"1 flap > 0"},
		FaultAt: 6, HealAt: 24,
		Markers: []lab.Marker{
			{T: 6, Kind: "fault", Label: "fault"}, {T: 7.4, Kind: "verdict", Label: "use1 down"},
			{T: 24, Kind: "heal", Label: "heal"}, {T: 25.6, Kind: "verdict", Label: "use1 up"},
			{T: 25.9, Kind: "verdict", Label: "use1 down"}, {T: 26.2, Kind: "verdict", Label: "use1 up"},
		},
	}
	for t := 0; t < 40; t++ {
		ft := float64(t)
		s := lab.Second{T: t, Requests: devices, ServedBy: map[string]int{}}
		switch {
		case ft < r.FaultAt:
			s.ServedBy["use1"] = devices
		case ft < r.HealAt:
			s.ServedBy["usw2"] = int(shift(ft, r.FaultAt+r.SteeringS) * devices)
		default:
			back := int(shift(ft, r.HealAt+r.ReturnS) * devices)
			s.ServedBy["use1"], s.ServedBy["usw2"] = back, devices-back
		}
		s.Successes = s.ServedBy["use1"] + s.ServedBy["usw2"]
		r.Seconds = append(r.Seconds, s)
	}
	return r
}

func sampleReport() lab.Report {
	return lab.Report{
		Started: time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC),
		Machine: "linux/amd64, 2 CPUs", Version: "v0.4.0-test",
		Scenarios: []lab.Result{regionOutage(), falseAlarm(), recovery()},
	}
}

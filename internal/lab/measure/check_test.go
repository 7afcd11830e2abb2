package measure

import (
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	strict := Bounds{DetectionS: 3, SteeringS: 4, SuccessPctAfter: 99}
	healthy := Result{DetectionS: 1.5, SteeringS: 2, ClientSuccessPctAfter: 100}
	tests := []struct {
		name   string
		r      Result
		b      Bounds
		failed []string
	}{
		{"all bounds met", healthy, strict, nil},
		{"too slow", Result{DetectionS: 3.4, SteeringS: 4.0004, ClientSuccessPctAfter: 100}, strict,
			[]string{"detection 3.4 s > 3 s", "steering 4.0004 s > 4 s"}},
		{"never detected", Result{DetectionS: -1, SteeringS: -1, ClientSuccessPctAfter: 100}, strict,
			[]string{"no detection (bound 3 s)", "no steering (bound 4 s)"}},
		{"clients unhappy", Result{DetectionS: 1, SteeringS: 1, ClientSuccessPctAfter: 97.25}, strict,
			[]string{"client success after 97.25% < 99%"}},
		{"just under", Result{DetectionS: 1, SteeringS: 1, ClientSuccessPctAfter: 98.999}, strict,
			[]string{"client success after 98.999% < 99%"}},
		{"false alarm: nothing to detect, no failover allowed", Result{DetectionS: -1, SteeringS: -1, FalseFailovers: 1, ClientSuccessPctAfter: 100},
			Bounds{SuccessPctAfter: 99}, []string{"1 false failover"}},
		{"false failovers allowed", Result{DetectionS: -1, FalseFailovers: 2}, Bounds{AllowFalseFailovers: true}, nil},
		{"flapping", Result{DetectionS: 1, SteeringS: 1, ClientSuccessPctAfter: 100, Flaps: 2}, strict, []string{"2 flaps > 0"}},
		{"some flaps allowed", Result{Flaps: 2}, Bounds{MaxFlaps: 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Failures = []string{"stale"}
			Check(&r, tt.b)
			if !slices.Equal(r.Failures, tt.failed) || r.Pass != (len(tt.failed) == 0) {
				t.Errorf("want pass=%v failures %q, got pass=%v failures %q", len(tt.failed) == 0, tt.failed, r.Pass, r.Failures)
			}
		})
	}
}

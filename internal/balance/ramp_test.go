package balance

import (
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestRamp(t *testing.T) {
	const window = 60 * time.Second
	at := func(pct float64) time.Time { return t0.Add(time.Duration(pct / 100 * float64(window))) }
	tests := []struct {
		name       string
		upSince    time.Time
		now        time.Time
		window     time.Duration
		aggression float64
		minPercent float64
		want       float64
	}{
		{"window 0 is off", t0, t0, 0, 1, 10, 1},
		{"negative window is off", t0, t0, -time.Second, 1, 10, 1},
		{"zero upSince is up since forever", time.Time{}, t0, window, 1, 10, 1},
		{"linear 0% is the floor", t0, at(0), window, 1, 10, 0.10},
		{"linear 25%", t0, at(25), window, 1, 10, 0.25},
		{"linear 50%", t0, at(50), window, 1, 10, 0.50},
		{"linear 100%", t0, at(100), window, 1, 10, 1},
		{"linear past the window", t0, at(250), window, 1, 10, 1},
		{"aggression 2 at 0% is the floor", t0, at(0), window, 2, 10, 0.10},
		{"aggression 2 at 25%", t0, at(25), window, 2, 10, 0.5},
		{"aggression 2 at 50%", t0, at(50), window, 2, 10, math.Sqrt(0.5)},
		{"aggression 2 at 100%", t0, at(100), window, 2, 10, 1},
		{"aggression 0.5 at 50%", t0, at(50), window, 0.5, 10, 0.25},
		{"floor holds above the ramp", t0, at(5), window, 1, 10, 0.10},
		{"lower floor lets the ramp through", t0, at(5), window, 1, 1, 0.05},
		{"higher floor", t0, at(25), window, 1, 50, 0.50},
		{"now before upSince starts at the floor", t0, t0.Add(-time.Hour), window, 1, 10, 0.10},
		{"aggression 0 counts as 1", t0, at(25), window, 0, 10, 0.25},
		{"negative aggression counts as 1", t0, at(25), window, -3, 10, 0.25},
		{"NaN aggression counts as 1", t0, at(25), window, math.NaN(), 10, 0.25},
		{"infinite aggression counts as 1", t0, at(25), window, math.Inf(1), 10, 0.25},
		{"min percent 0 counts as 10", t0, at(0), window, 1, 0, 0.10},
		{"min percent NaN counts as 10", t0, at(0), window, 1, math.NaN(), 0.10},
		{"min percent above 100 counts as 100", t0, at(25), window, 1, 250, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Ramp(tt.upSince, tt.now, tt.window, tt.aggression, tt.minPercent)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Ramp(%v after upSince, window %v, aggression %v, min %v%%) = %v, want %v",
					tt.now.Sub(tt.upSince), tt.window, tt.aggression, tt.minPercent, got, tt.want)
			}
		})
	}
}

func TestSlowStartFactorUsesDefaults(t *testing.T) {
	s := SlowStart{Window: time.Minute}
	if got := s.Factor(t0, t0); got != DefaultMinPercent/100 {
		t.Errorf("Factor at the start with defaults = %v, want the default floor %v", got, DefaultMinPercent/100)
	}
	if got := s.Factor(t0, t0.Add(15*time.Second)); got != 0.25 {
		t.Errorf("Factor at 25%% with defaults = %v, want 0.25 (linear)", got)
	}
	if got := (SlowStart{}).Factor(t0, t0); got != 1 {
		t.Errorf("zero SlowStart Factor = %v, want 1 (off)", got)
	}
}

func TestSlowStartValidate(t *testing.T) {
	tests := []struct {
		name string
		s    SlowStart
		want []string // substrings of the error; none means valid
	}{
		{"zero value is valid (off)", SlowStart{}, nil},
		{"typical", SlowStart{Window: time.Minute, Aggression: 2, MinPercent: 5}, nil},
		{"min percent 100", SlowStart{Window: time.Minute, MinPercent: 100}, nil},
		{"negative window", SlowStart{Window: -time.Second}, []string{"slow_start.window"}},
		{"negative aggression", SlowStart{Aggression: -1}, []string{"slow_start.aggression"}},
		{"NaN aggression", SlowStart{Aggression: math.NaN()}, []string{"slow_start.aggression"}},
		{"infinite aggression", SlowStart{Aggression: math.Inf(1)}, []string{"slow_start.aggression"}},
		{"min percent above 100", SlowStart{MinPercent: 101}, []string{"slow_start.min_percent"}},
		{"negative min percent", SlowStart{MinPercent: -1}, []string{"slow_start.min_percent"}},
		{"NaN min percent", SlowStart{MinPercent: math.NaN()}, []string{"slow_start.min_percent"}},
		{"all errors joined", SlowStart{Window: -1, Aggression: -1, MinPercent: 200},
			[]string{"slow_start.window", "slow_start.aggression", "slow_start.min_percent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.s, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error naming %v", tt.s, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate(%+v) = %q, want it to name %q", tt.s, err, w)
				}
			}
		})
	}
}

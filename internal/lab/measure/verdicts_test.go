package measure

import "testing"

func down(at float64, e string) VerdictEvent {
	return VerdictEvent{At: at, Endpoint: e, Health: "down"}
}
func up(at float64, e string) VerdictEvent { return VerdictEvent{At: at, Endpoint: e, Health: "up"} }

func TestDetection(t *testing.T) {
	tests := []struct {
		name     string
		events   []VerdictEvent
		affected []string
		want     float64
	}{
		{"no events", nil, []string{"use1"}, -1},
		{"nothing affected", []VerdictEvent{down(12, "use1")}, nil, -1},
		{"first down of an affected endpoint", []VerdictEvent{down(12.5, "use1")}, []string{"use1"}, 2.5},
		{"down before the fault does not count", []VerdictEvent{down(8, "use1"), up(9, "use1"), down(13, "use1")}, []string{"use1"}, 3},
		{"still down from before the fault: no change", []VerdictEvent{down(8, "use1"), down(11, "use1")}, []string{"use1"}, -1},
		{"an up is not a detection", []VerdictEvent{up(11, "use1")}, []string{"use1"}, -1},
		{"other endpoints do not count", []VerdictEvent{down(11, "usw2"), down(14, "use1")}, []string{"use1"}, 4},
		{"earliest of several affected", []VerdictEvent{down(13, "usw2"), down(11.5, "use1")}, []string{"use1", "usw2"}, 1.5},
		{"exactly at the fault", []VerdictEvent{down(10, "use1")}, []string{"use1"}, 0},
		{"unsorted input", []VerdictEvent{down(14, "use1"), up(12, "use1")}, []string{"use1"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 10, HealAt: -1, End: 30, Affected: tt.affected, Verdicts: tt.events}).DetectionS
			if got != tt.want {
				t.Errorf("detection: want %v, got %v", tt.want, got)
			}
		})
	}
}

func TestFalseFailovers(t *testing.T) {
	tests := []struct {
		name     string
		events   []VerdictEvent
		affected []string
		want     int
	}{
		{"no events", nil, nil, 0},
		{"affected endpoint down is not false", []VerdictEvent{down(12, "use1")}, []string{"use1"}, 0},
		{"healthy endpoint down", []VerdictEvent{down(12, "usw2")}, []string{"use1"}, 1},
		{"before the fault counts too", []VerdictEvent{down(2, "usw2"), up(3, "usw2")}, nil, 1},
		{"up is not a failover", []VerdictEvent{up(12, "usw2")}, nil, 0},
		{"a repeated down is one change", []VerdictEvent{down(12, "usw2"), down(13, "usw2")}, nil, 1},
		{"each time it goes down", []VerdictEvent{down(12, "usw2"), up(14, "usw2"), down(16, "usw2"), down(17, "usc1")}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 10, HealAt: -1, End: 30, Affected: tt.affected, Verdicts: tt.events}).FalseFailovers
			if got != tt.want {
				t.Errorf("false failovers: want %d, got %d", tt.want, got)
			}
		})
	}
}

func TestFlaps(t *testing.T) {
	tests := []struct {
		name   string
		healAt float64
		events []VerdictEvent
		want   int
	}{
		{"no events", -1, nil, 0},
		{"down once", -1, []VerdictEvent{down(12, "use1")}, 0},
		{"down during the fault, up after the heal", 20, []VerdictEvent{down(12, "use1"), up(25, "use1")}, 0},
		{"down, up, down during the fault", -1, []VerdictEvent{down(12, "use1"), up(13, "use1"), down(14, "use1")}, 2},
		{"up, down again after the heal", 20, []VerdictEvent{down(12, "use1"), up(25, "use1"), down(27, "use1")}, 1},
		{"changes before the fault are not flaps", -1, []VerdictEvent{down(2, "use1"), up(3, "use1"), down(12, "use1")}, 0},
		{"per endpoint", -1, []VerdictEvent{down(12, "use1"), down(12.5, "usw2"), up(13, "usw2")}, 1},
		{"repeated verdicts are not changes", -1, []VerdictEvent{down(12, "use1"), down(13, "use1"), down(14, "use1")}, 0},
		{"an event at the heal belongs to the heal window", 20, []VerdictEvent{down(12, "use1"), up(20, "use1"), down(21, "use1")}, 1},
		{"an event at the end counts", -1, []VerdictEvent{down(12, "use1"), up(30, "use1")}, 1},
		{"after the end does not", -1, []VerdictEvent{down(12, "use1"), up(31, "use1")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 10, HealAt: tt.healAt, End: 30, Affected: []string{"use1"}, Verdicts: tt.events}).Flaps
			if got != tt.want {
				t.Errorf("flaps: want %d, got %d", tt.want, got)
			}
		})
	}
}

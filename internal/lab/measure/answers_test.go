package measure

import "testing"

// polls makes samples of one nameserver every 0.1 s in [from, to) answering addrs.
func polls(ns string, from, to float64, addrs ...string) []AnswerSample {
	var out []AnswerSample
	for i := 0; from+float64(i)*0.1 < to-1e-9; i++ {
		out = append(out, AnswerSample{At: round(from + float64(i)*0.1), Nameserver: ns, Addrs: addrs})
	}
	return out
}

func round(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

func join(parts ...[]AnswerSample) []AnswerSample {
	var out []AnswerSample
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const dead, alive = "127.77.1.1", "127.77.1.2"

func TestSteering(t *testing.T) {
	tests := []struct {
		name    string
		healAt  float64
		addrs   []string
		answers []AnswerSample
		want    float64
	}{
		{"no samples", -1, []string{dead}, nil, -1},
		{"no affected addresses", -1, nil, polls("a", 0, 30, alive), -1},
		{"never steered", -1, []string{dead}, polls("a", 0, 30, dead, alive), -1},
		{"one nameserver moves", -1, []string{dead},
			join(polls("a", 0, 13, dead), polls("a", 13, 30, alive)), 3},
		{"waits for the lagging nameserver", -1, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 30, alive), polls("b", 0, 14.5, dead), polls("b", 14.5, 30, alive)), 4.5},
		{"a nameserver that is no longer sampled is not waited for", -1, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 30, alive), polls("b", 0, 10.5, dead)), 2},
		{"a nameserver sampled only later is waited for", -1, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 30, alive), polls("b", 16, 30, alive)), 6},
		{"clean from the start", -1, []string{dead}, polls("a", 0, 30, alive), 0},
		{"dirty answers before the fault do not count", -1, []string{dead},
			join(polls("a", 0, 8, dead), polls("a", 8, 30, alive)), 0},
		{"goes back to the dead address", -1, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 15, alive), polls("a", 15, 17, dead), polls("a", 17, 30, alive)), 7},
		{"the heal ends the window", 20, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 21, alive), polls("a", 21, 30, dead)), 2},
		{"one of several addresses", -1, []string{dead, "127.77.1.9"},
			join(polls("a", 0, 11, "127.77.1.9", alive), polls("a", 11, 30, alive)), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 10, HealAt: tt.healAt, End: 30, AffectedAddrs: tt.addrs, Answers: tt.answers}).SteeringS
			if !near(got, tt.want) {
				t.Errorf("steering: want %v, got %v", tt.want, got)
			}
		})
	}
}

func TestReturn(t *testing.T) {
	tests := []struct {
		name    string
		healAt  float64
		addrs   []string
		answers []AnswerSample
		want    float64
	}{
		{"no heal", -1, []string{dead}, polls("a", 0, 30, dead), -1},
		{"no samples", 20, []string{dead}, nil, -1},
		{"no affected addresses", 20, nil, polls("a", 0, 30, alive), -1},
		{"never returns", 20, []string{dead}, polls("a", 0, 30, alive), -1},
		{"returns", 20, []string{dead}, join(polls("a", 0, 25, alive), polls("a", 25, 30, dead, alive)), 5},
		{"waits for the lagging nameserver", 20, []string{dead},
			join(polls("a", 0, 23, alive), polls("a", 23, 30, dead), polls("b", 0, 26.5, alive), polls("b", 26.5, 30, dead)), 6.5},
		{"one nameserver never returns", 20, []string{dead},
			join(polls("a", 0, 23, alive), polls("a", 23, 30, dead), polls("b", 0, 30, alive)), -1},
		{"a nameserver not sampled after the heal is not waited for", 20, []string{dead},
			join(polls("a", 0, 23, alive), polls("a", 23, 30, dead), polls("b", 0, 15, alive)), 3},
		{"dirty before the heal does not count", 20, []string{dead},
			join(polls("a", 0, 12, dead), polls("a", 12, 22, alive), polls("a", 22, 30, dead)), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 10, HealAt: tt.healAt, End: 30, AffectedAddrs: tt.addrs, Answers: tt.answers}).ReturnS
			if !near(got, tt.want) {
				t.Errorf("return: want %v, got %v", tt.want, got)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

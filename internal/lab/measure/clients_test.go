package measure

import (
	"reflect"
	"testing"
)

// buckets makes one bucket per second from 0 with the given success
// percentages out of 200 requests; a negative percentage is an empty bucket.
func buckets(pcts ...int) []Second {
	out := make([]Second, len(pcts))
	for i, p := range pcts {
		out[i] = Second{T: i}
		if p >= 0 {
			out[i].Requests, out[i].Successes = 200, 2*p
		}
	}
	return out
}

func TestClientRecovery(t *testing.T) {
	//                                 fault at 4.5 ↓
	tests := []struct {
		name    string
		healAt  float64
		seconds []Second
		want    float64
	}{
		{"no buckets", -1, nil, -1},
		{"only empty buckets", -1, buckets(-1, -1, -1, -1, -1, -1, -1), -1},
		{"never dipped: the fault's bucket", -1, buckets(100, 100, 100, 100, 100, 100, 100), 0},
		{"dips then recovers", -1, buckets(100, 100, 100, 100, 100, 50, 0, 99, 100), 2.5},
		{"recovers then drops again", -1, buckets(100, 100, 100, 100, 100, 50, 100, 100, 20, 100), 4.5},
		{"still bad at the end", -1, buckets(100, 100, 100, 100, 100, 50, 100, 50), -1},
		{"bad before the fault does not count", -1, buckets(100, 0, 0, 0, 100, 100, 100), 0},
		{"bad in the fault's bucket", -1, buckets(100, 100, 100, 100, 90, 100, 100), 0.5},
		{"empty buckets are skipped", -1, buckets(100, 100, 100, 100, 100, 50, -1, 100, -1), 2.5},
		{"just under 99% is bad", -1, buckets(100, 100, 100, 100, 100, 98, 99, 100), 1.5},
		{"stops at the heal", 7, buckets(100, 100, 100, 100, 100, 50, 100, 0, 0), 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 4.5, HealAt: tt.healAt, End: 10, Seconds: tt.seconds}).ClientRecoveryS
			if !near(got, tt.want) {
				t.Errorf("client recovery: want %v, got %v", tt.want, got)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name    string
		seconds []Second
		want    int
	}{
		{"no buckets", nil, 0},
		{"failures before the fault do not count", buckets(0, 0, 100, 100, 100, 100), 0},
		{"from the fault's bucket to the end", buckets(0, 100, 100, 100, 99, 50, -1, 100, 0), 2 + 100 + 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 4.5, HealAt: 6, End: 9, Seconds: tt.seconds}).ClientErrors
			if got != tt.want {
				t.Errorf("client errors: want %d, got %d", tt.want, got)
			}
		})
	}
}

func TestClientSuccessAfter(t *testing.T) {
	// fault at 2, TTL 1: counted from bucket 8.
	tests := []struct {
		name    string
		healAt  float64
		seconds []Second
		want    float64
	}{
		{"no buckets", -1, nil, 100},
		{"no requests", -1, buckets(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1), 100},
		{"failures before the cut-off do not count", -1, buckets(100, 100, 0, 0, 0, 0, 0, 0, 100, 100), 100},
		{"averaged over requests", -1, buckets(100, 100, 0, 0, 0, 0, 0, 0, 100, 98, -1, 99), 99},
		{"up to the heal", 10, buckets(100, 100, 0, 0, 0, 0, 0, 0, 100, 100, 0, 0), 100},
		{"heal before the cut-off", 5, buckets(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 100},
		{"a fraction, rounded down", -1, []Second{{T: 8, Requests: 3, Successes: 2}}, 66.66},
		{"just under 99% is not 99%", -1, []Second{{T: 8, Requests: 100000, Successes: 98999}}, 98.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(Input{FaultAt: 2, HealAt: tt.healAt, TTL: 1, End: 12, Seconds: tt.seconds}).ClientSuccessPctAfter
			if !near(got, tt.want) {
				t.Errorf("client success after: want %v, got %v", tt.want, got)
			}
		})
	}
}

// TestClientRequests: the errors' denominator counts the same buckets as
// the errors, so "errors of requests" is a true share.
func TestClientRequests(t *testing.T) {
	tests := []struct {
		name    string
		seconds []Second
		want    int
	}{
		{"no buckets", nil, 0},
		{"requests before the fault do not count", buckets(100, 100, 100, 100), 0},
		{"from the fault's bucket to the end, empty buckets add none", buckets(0, 100, 100, 100, 99, 50, -1, 100, 0), 4 * 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compute(Input{FaultAt: 4.5, HealAt: 6, End: 9, Seconds: tt.seconds})
			if r.ClientRequests != tt.want {
				t.Errorf("client requests: want %d, got %d", tt.want, r.ClientRequests)
			}
			if r.ClientErrors > r.ClientRequests {
				t.Errorf("%d errors of %d requests", r.ClientErrors, r.ClientRequests)
			}
		})
	}
}

func TestSumSeconds(t *testing.T) {
	a := []Second{{T: 0, Requests: 2, Successes: 2, ServedBy: map[string]int{"euw1": 2}}, {T: 1, Requests: 1, ServedBy: map[string]int{}}}
	b := []Second{{T: 0, Requests: 3, Successes: 1, ServedBy: map[string]int{"use1": 1}}, {T: 1, Requests: 2, Successes: 2, ServedBy: map[string]int{"usc1": 2}},
		{T: 2, Requests: 1, Successes: 1, ServedBy: map[string]int{"usc1": 1}}}
	got := SumSeconds(a, b)
	want := []Second{
		{T: 0, Requests: 5, Successes: 3, ServedBy: map[string]int{"euw1": 2, "use1": 1}},
		{T: 1, Requests: 3, Successes: 2, ServedBy: map[string]int{"usc1": 2}},
		{T: 2, Requests: 1, Successes: 1, ServedBy: map[string]int{"usc1": 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if a[0].Requests != 2 || len(a[0].ServedBy) != 1 {
		t.Errorf("SumSeconds changed its input: %+v", a)
	}
}

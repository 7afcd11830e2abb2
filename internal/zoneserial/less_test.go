package zoneserial

import "testing"

func TestSerialLessRFC1982(t *testing.T) {
	tests := []struct {
		a, b uint32
		want bool
	}{
		{1, 2, true},
		{2, 1, false},
		{7, 7, false},
		{0xFFFFFFFF, 0, true}, // wrap-around: 0 follows 2^32-1
		{0xFFFFFFF0, 5, true},
		{5, 0xFFFFFFF0, false},
		{0, 1<<31 - 1, true}, // the largest step that is still "greater"
		{0, 1 << 31, false},  // exactly 2^31 apart: undefined, so neither
		{1 << 31, 0, false},
	}
	for _, tt := range tests {
		if got := Less(tt.a, tt.b); got != tt.want {
			t.Errorf("Less(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

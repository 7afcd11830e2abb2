package wcag

import (
	"math"
	"testing"
)

func TestContrast(t *testing.T) {
	cases := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#000000", 21},
		{"#777777", "#ffffff", 4.48}, // the classic grey that just fails AA
		{"#595959", "#ffffff", 7.0},
		{"#123456", "#123456", 1},
	}
	for _, tc := range cases {
		got, err := Contrast(tc.a, tc.b)
		if err != nil || math.Abs(got-tc.want) > 0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, %v; want %.2f", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "#fff", "ffffff0", "#gg0000"} {
		if _, err := Contrast(bad, "#000000"); err == nil {
			t.Errorf("Contrast(%q) gave no error", bad)
		}
	}
}

package statuspage

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		ago  string
		span string
	}{
		{0, "0.0 s ago", "–"},
		{400 * time.Millisecond, "0.4 s ago", "400 ms"},
		{12 * time.Second, "12 s ago", "12.00 s"},
		{3*time.Minute + 5*time.Second, "3 min ago", "185.00 s"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min ago", "7500.00 s"},
		{50 * time.Hour, "2 d ago", "180000.00 s"},
		{-time.Second, "0.0 s ago", "–"}, // a clock a little ahead
	} {
		if got := ago(t0.Add(c.d), t0); got != c.ago {
			t.Errorf("ago(%s) = %q, want %q", c.d, got, c.ago)
		}
		if got := latency(c.d); got != c.span {
			t.Errorf("latency(%s) = %q, want %q", c.d, got, c.span)
		}
	}
	for d, want := range map[time.Duration]string{310 * time.Microsecond: "0.31 ms", 4200 * time.Microsecond: "4.2 ms", 12 * time.Millisecond: "12 ms"} {
		if got := latency(d); got != want {
			t.Errorf("latency(%s) = %q, want %q", d, got, want)
		}
	}
	if got := ago(t0, time.Time{}); got != "never" {
		t.Errorf("ago(zero) = %q", got)
	}
	if got := clockTime(t0, t0.Add(-time.Minute)); got != "15:29:00" {
		t.Errorf("clockTime same day = %q", got)
	}
	if got := clockTime(t0, t0.Add(-24*time.Hour)); got != "Dec 06 15:30:00" {
		t.Errorf("clockTime another day = %q", got)
	}
}

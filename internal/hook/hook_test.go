package hook

import (
	"strings"
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		s    Spec
		want string
	}{
		{Spec{Exec: []string{"promote-db", "--password", "x"}}, "exec promote-db"},
		{Spec{URL: "https://user:pw@ops.example:8443/hooks/promote?token=abc#f"}, "POST https://ops.example:8443/hooks/promote"},
		{Spec{URL: "http://ops.example/x", Method: "put"}, "PUT http://ops.example/x"},
		{Spec{URL: "::bad"}, "POST (invalid URL)"},
		{Spec{}, "(no hook)"},
	} {
		if got := tc.s.Describe(); got != tc.want {
			t.Errorf("Describe(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := defaultBackoff(i + 1); got != w {
			t.Errorf("after attempt %d: %s, want %s", i+1, got, w)
		}
	}
	if got := defaultBackoff(1 << 30); got != maxBackoff {
		t.Errorf("after a huge attempt number: %s, want %s", got, maxBackoff)
	}
}

func TestCaptureBounded(t *testing.T) {
	var c capture
	for range 1000 {
		if n, err := c.Write([]byte(strings.Repeat("€", 100))); n != 300 || err != nil {
			t.Fatalf("Write = %d, %v; want every byte reported written", n, err)
		}
	}
	out := c.String()
	if len(out) > MaxOutput || !strings.HasSuffix(out, truncated) || !strings.HasSuffix(strings.TrimSuffix(out, truncated), "€") {
		t.Errorf("output %d bytes ending %q, want at most %d, cut between characters", len(out), out[len(out)-20:], MaxOutput)
	}
	var small capture
	small.Write([]byte("ok\n"))
	if small.String() != "ok\n" {
		t.Errorf("short output %q changed", small.String())
	}
}

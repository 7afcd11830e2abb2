package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"outlast/internal/shiftwatch"
)

// TestReturnRamp: with return_ramp, a primary back from down is answered
// in a small share of responses at first, the secondary in the rest,
// where without it every response would name the primary at once.
func TestReturnRamp(t *testing.T) {
	port := freePort(t)
	primary := startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port))
	text := strings.Replace(configText(port), "    policy: failover\n", "    policy: failover\n    return_ramp: 10m\n", 1)
	n := startNode(t, parseConfig(t, "ramp.yaml", text))
	waitForVerdict(t, n, "primary", "up", 10*time.Second)
	// Found up at start: no ramp, every answer names the primary.
	waitForAnswer(t, n, primaryAddr, 5*time.Second)

	primary.close()
	waitForVerdict(t, n, "primary", "down", 10*time.Second)
	primary.serve()
	waitForVerdict(t, n, "primary", "up", 10*time.Second)

	// A few seconds into a ten-minute ramp the primary's share is about
	// 10%: of 200 answers, well under half name it, and some do.
	counts := map[string]int{}
	for range 200 {
		a := shiftwatch.Ask(t.Context(), n.DNSAddr().String(), shiftwatch.Query{Name: "api.example.test"})
		if a.Kind != shiftwatch.Answered || len(a.Addrs) != 1 {
			t.Fatalf("a ramping failover name answered %+v; want one endpoint's address per response", a)
		}
		counts[a.Addrs[0].String()]++
	}
	if p := counts[primaryAddr]; p == 0 || p >= 100 || counts[secondaryAddr] == 0 {
		t.Errorf("answers during the return: %v; want the primary in some but well under half (its share starts at 10%%)", counts)
	}
}

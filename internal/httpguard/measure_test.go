package httpguard

import (
	"outlast/internal/conncap"

	"flag"
	"fmt"
	"testing"
	"time"
)

var measure = flag.Bool("measure", false, "run the measurements of TestMeasure* (about a minute)")

// TestMeasureDefaults gives the figures of docs/operations.md for 2,000
// idle connections against the default limits:
//
//	go test -run TestMeasureDefaults -v ./internal/httpguard/ -args -measure
//
// It asserts only that the connections go within the idle timeout plus a
// generous margin; the times are logged, not judged.
func TestMeasureDefaults(t *testing.T) {
	if !*measure {
		t.Skip("a measurement of about a minute; run with -args -measure")
	}
	n := idleConns(t)
	t.Run("caps", func(t *testing.T) { measureCaps(t, n) })
	t.Run("idle", func(t *testing.T) { measureIdle(t, n) })
}

// measureCaps sends n connections from 32 addresses, 64 each at most,
// at the default caps, and logs how many were served.
func measureCaps(t *testing.T, n int) {
	g := serve(t, ok, Limits{}, Options{Plain: true})
	served := 0
	for i := range n {
		c := dial(t, fmt.Sprintf("127.0.0.%d", 1+i%32), g.addr)
		if resp, _, err := c.get("127.0.0.1"); err == nil && resp.StatusCode == 200 {
			served++
		}
	}
	st := g.ln.Stats()
	t.Logf("default caps (%d per client, %d in all): %d of %d connections from 32 addresses served, %d refused for the total, %d per client",
		conncap.DefaultPerClient, DefaultLimits().Total, served, n, st.RefusedTotal, st.RefusedPerClient)
}

// measureIdle lets all n connections in and logs how long the default
// idle timeout takes to close them.
func measureIdle(t *testing.T, n int) {
	g := serve(t, ok, Limits{PerClient: n, Total: n}, Options{})
	start := time.Now()
	openIdle(t, g, n)
	last := time.Now()
	waitFor(t, DefaultIdleTimeout+30*time.Second, "idle connections still open", func() bool { return g.ln.Stats().Open == 0 })
	t.Logf("%d idle connections (opened over %v) all closed %v after the last answer, %v after the first (IdleTimeout %v)",
		n, last.Sub(start).Round(time.Millisecond), time.Since(last).Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), DefaultIdleTimeout)
}

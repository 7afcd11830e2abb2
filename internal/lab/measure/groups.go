package measure

import "fmt"

// ClientGroup is what one group of devices saw, in a scenario whose
// devices take two roads to the service (proxy-region-outage): those that
// resolve its name and call the address answered (Result.DNSOnly, whose
// figures are also Result's own), and those that send the same requests
// to an outlast node's HTTP proxy (Result.Proxied). See the package doc
// for each figure.
type ClientGroup struct {
	// The group's devices, as Result's figures of the same names.
	ClientRecoveryS       float64 `json:"client_recovery_s"`
	ClientErrors          int     `json:"client_errors"`
	ClientRequests        int     `json:"client_requests"`
	ClientSuccessPct      float64 `json:"client_success_pct"` // from the fault on, rounded down
	ClientSuccessPctAfter float64 `json:"client_success_pct_after"`
	// MaxLatencyBeforeS is the slowest successful request of the buckets
	// that ended a second or more before the fault (so none was still in
	// flight at the fault: a device's request times out within one),
	// MaxLatencyS the slowest from the bucket holding the fault on; their
	// difference is what the fault cost the slowest request, in seconds.
	MaxLatencyBeforeS float64 `json:"max_latency_before_s"`
	MaxLatencyS       float64 `json:"max_latency_s"`
	// ServedBy counts, per backend, the successful requests from the fault on.
	ServedBy map[string]int `json:"served_by"`
}

// ExtraLatencyS is what the fault added to the slowest successful request.
func (g ClientGroup) ExtraLatencyS() float64 { return max(0, g.MaxLatencyS-g.MaxLatencyBeforeS) }

// clientGroup measures one group of devices from its buckets.
func clientGroup(seconds []Second, in Input) *ClientGroup {
	g := &ClientGroup{
		ClientRecoveryS:       recovery(seconds, in.FaultAt, in.windowEnd()),
		ClientErrors:          clientErrors(seconds, in.FaultAt),
		ClientRequests:        clientRequests(seconds, in.FaultAt),
		ClientSuccessPctAfter: successAfter(seconds, in.FaultAt+in.TTL+5, in.windowEnd()),
		ServedBy:              map[string]int{},
	}
	g.ClientSuccessPct = pctDown(g.ClientRequests-g.ClientErrors, g.ClientRequests)
	for _, s := range seconds {
		switch t := float64(s.T); {
		case t+2 <= in.FaultAt:
			g.MaxLatencyBeforeS = max(g.MaxLatencyBeforeS, s.MaxLatencyS)
			continue
		case t+1 <= in.FaultAt:
			continue
		}
		g.MaxLatencyS = max(g.MaxLatencyS, s.MaxLatencyS)
		for name, n := range s.ServedBy {
			g.ServedBy[name] += n
		}
	}
	return g
}

// checkProxied holds the proxied devices to their minimum success from
// the fault on.
func checkProxied(g *ClientGroup, minPct float64) []string {
	switch {
	case minPct <= 0:
		return nil
	case g == nil || g.ClientRequests == 0:
		return []string{"proxied clients: no request from the fault on"}
	case g.ClientSuccessPct < minPct:
		return []string{fmt.Sprintf("proxied clients: %d/%d errors, success from the fault on %s%% < %s%%",
			g.ClientErrors, g.ClientRequests, below(g.ClientSuccessPct, minPct), num(minPct))}
	}
	return nil
}

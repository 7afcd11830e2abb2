//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"outlast/internal/shiftwatch"
)

// dnsAddrs are the nodes' DNS listeners, in node order.
func dnsAddrs(nodes []*node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.dnsAddr()
	}
	return out
}

// checkAll asks every node once and returns an error unless all of them
// answer name with addr.
func checkAll(ctx context.Context, nodes []*node, name string, addr netip.Addr) error {
	for _, n := range nodes {
		a := shiftwatch.Ask(ctx, n.dnsAddr(), shiftwatch.Query{Name: name})
		if a.Kind != shiftwatch.Answered || !shiftwatch.With(addr)(a.Addrs) {
			return fmt.Errorf("%s answers %s for %s, want %s before the failover", n.name, a, name, addr)
		}
	}
	return nil
}

// failover stops target at the targets process and asks every node every
// `every` until each has answered without addr for hold's worth of polls in
// a row (shiftwatch's Consecutive), or until limit passes. Times count from
// the moment the target was told to stop.
func failover(ctx context.Context, control, target string, nodes []*node, name string, addr netip.Addr,
	every, hold, limit time.Duration) (time.Time, shiftwatch.Report, error) {
	t0 := time.Now()
	resp, err := http.Post("http://"+control+"/stop?target="+target, "", nil)
	if err != nil {
		return t0, shiftwatch.Report{}, fmt.Errorf("stop %s: %w", target, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return t0, shiftwatch.Report{}, fmt.Errorf("stop %s: %s", target, resp.Status)
	}
	r, err := shiftwatch.Watch(ctx, shiftwatch.Options{
		Nameservers: dnsAddrs(nodes),
		Query:       shiftwatch.Query{Name: name, Timeout: every * 4},
		Rule:        shiftwatch.Rule{Want: shiftwatch.Without(addr), Consecutive: max(1, int(hold/every))},
		Interval:    every, Deadline: limit, Start: t0,
	})
	return t0, r, err
}

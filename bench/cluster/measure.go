//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"outlast/bench/internal/benchkit"
	"outlast/internal/shiftwatch"
	"outlast/internal/wire"
)

// warmResult is the cluster's state when the measurement starts.
type warmResult struct {
	took     time.Duration
	leader   string
	up, down int
	applied  uint64
}

// warmUp waits until every node names the same leader, has applied the
// same index for a few seconds, and reports a verdict (up or down, not
// unknown) for every endpoint.
func (b *bench) warmUp(ctx context.Context) (warmResult, error) {
	start := time.Now()
	deadline := start.Add(b.o.warmup)
	var lastApplied uint64
	var stableSince time.Time
	lastProgress := start
	problem := "no node answered its API yet"
	for time.Now().Before(deadline) {
		if err := sleep(ctx, time.Second); err != nil {
			return warmResult{}, err
		}
		if err := b.nodeDied(); err != nil {
			return warmResult{}, err
		}
		w, why := b.agreed(ctx)
		if why != "" {
			problem, stableSince = why, time.Time{}
		} else if w.applied != lastApplied || stableSince.IsZero() {
			// Members announce themselves through the log for a while after
			// the start; the window must begin after the last of that.
			lastApplied, stableSince = w.applied, time.Now()
			problem = fmt.Sprintf("applied index still moving (%d)", w.applied)
		} else if time.Since(stableSince) >= 3*time.Second {
			w.took = time.Since(start)
			return w, nil
		}
		if time.Since(lastProgress) >= 10*time.Second {
			logf("  still warming up: %s", problem)
			lastProgress = time.Now()
		}
	}
	return warmResult{}, fmt.Errorf("warm-up: not settled after %v: %s", b.o.warmup, problem)
}

// agreed reads every node's status and services through the API and
// returns the common view, or why there is none yet.
func (b *bench) agreed(ctx context.Context) (warmResult, string) {
	var w warmResult
	want := b.o.layout.endpoints()
	for i, n := range b.nodes {
		st, err := apiOf(n).Status(ctx)
		if err != nil {
			return w, fmt.Sprintf("%s: %v", n.name, err)
		}
		svcs, err := apiOf(n).Services(ctx)
		if err != nil {
			return w, fmt.Sprintf("%s: %v", n.name, err)
		}
		c, cl := healthCounts(svcs), st.Cluster
		switch {
		case cl.Leader == "":
			return w, fmt.Sprintf("%s knows no leader (state %s)", n.name, cl.State)
		case i > 0 && cl.Leader != w.leader:
			return w, fmt.Sprintf("%s says the leader is %s, %s says %s", b.nodes[0].name, w.leader, n.name, cl.Leader)
		case len(cl.Members) != len(b.nodes):
			return w, fmt.Sprintf("%s lists %d members, want %d", n.name, len(cl.Members), len(b.nodes))
		case i > 0 && cl.AppliedIndex != w.applied:
			return w, fmt.Sprintf("%s applied %d, %s applied %d", b.nodes[0].name, w.applied, n.name, cl.AppliedIndex)
		case c["endpoints"] != want:
			return w, fmt.Sprintf("%s reports %d endpoints, want %d", n.name, c["endpoints"], want)
		case c["up"]+c["down"] != want:
			return w, fmt.Sprintf("%s: %d endpoints without a verdict yet (%v)", n.name, want-c["up"]-c["down"], c)
		}
		w.leader, w.applied, w.up, w.down = cl.Leader, cl.AppliedIndex, c["up"], c["down"]
	}
	return w, ""
}

// quietResult is the measurement window in which nothing changes.
type quietResult struct {
	leader       string
	start, end   []snapshot
	served       int64 // requests the targets process answered in the window
	elapsed      time.Duration
	entries      uint64 // on the leader
	events       []wire.Event
	leaderStayed bool
	endCounts    map[string]int // the leader's endpoint health at the end
	// CPU over the window, in cores: the whole machine, the targets
	// process and this program; the nodes' own come from their metrics.
	machineCores, targetsCores, selfCores float64
}

// cpuMark is the CPU counters read at one end of the window.
type cpuMark struct {
	at            time.Time
	busy, total   time.Duration // the whole machine's CPU so far
	targets, self float64
}

func (b *bench) markCPU() cpuMark {
	m := cpuMark{at: time.Now()}
	m.busy, m.total, _ = benchkit.MachineCPU()
	m.targets = cpuSeconds(b.targets.Pid())
	m.self = cpuSeconds(os.Getpid())
	return m
}

// scrapeAll reads every node's metrics at once, so the nodes' windows line
// up even when one scrape is slow on a busy machine.
func (b *bench) scrapeAll() ([]snapshot, error) {
	out := make([]snapshot, len(b.nodes))
	errs := make([]error, len(b.nodes))
	var wg sync.WaitGroup
	for i, n := range b.nodes {
		wg.Go(func() {
			out[i], errs[i] = scrape(n)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("scrape %s: %w", n.name, errs[i])
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (b *bench) nodeNamed(name string) (int, *node) {
	for i, n := range b.nodes {
		if n.name == name {
			return i, n
		}
	}
	return -1, nil
}

// quietWindow measures --duration seconds in which no endpoint changes.
func (b *bench) quietWindow(ctx context.Context, leader string) (quietResult, error) {
	q := quietResult{leader: leader}
	li, ln := b.nodeNamed(leader)
	servedStart, _, err := targetStats(b.o.control)
	if err != nil {
		return q, err
	}
	cpuStart := b.markCPU()
	if q.start, err = b.scrapeAll(); err != nil {
		return q, err
	}
	logf("quiet window: %v, nothing changes", b.o.duration)
	for end := time.Now().Add(b.o.duration); time.Now().Before(end); {
		if err := sleep(ctx, min(time.Second, time.Until(end))); err != nil {
			return q, err
		}
		if err := b.nodeDied(); err != nil {
			return q, err
		}
	}
	servedEnd, _, err := targetStats(b.o.control)
	if err != nil {
		return q, err
	}
	cpuEnd := b.markCPU()
	if q.end, err = b.scrapeAll(); err != nil {
		return q, err
	}
	wall := cpuEnd.at.Sub(cpuStart.at).Seconds()
	q.machineCores = busyCores(cpuStart, cpuEnd)
	q.targetsCores = (cpuEnd.targets - cpuStart.targets) / wall
	q.selfCores = (cpuEnd.self - cpuStart.self) / wall
	q.served = servedEnd - servedStart
	q.elapsed = q.end[li].at.Sub(q.start[li].at)
	q.leaderStayed = q.start[li].leader && q.end[li].leader
	q.entries = uint64(q.end[li].applied - q.start[li].applied)
	if svcs, err := apiOf(ln).Services(ctx); err == nil {
		q.endCounts = healthCounts(svcs)
	}
	if q.entries > 0 {
		q.events, err = eventsBetween(ctx, ln, uint64(q.start[li].applied), uint64(q.end[li].applied))
		if err != nil {
			logf("  cannot read the events that explain the entries: %v", err)
		}
	}
	return q, nil
}

// failResult is the failover of one endpoint.
type failResult struct {
	name, addr, target string
	t0                 time.Time
	watch              shiftwatch.Report
	verdict            *wire.Event // the leader's committed "down", if found
	entries            uint64
	err                error
}

// allAgree is the time until the last node stopped answering the address.
func (f failResult) allAgree() (time.Duration, bool) { return f.watch.All, f.watch.AllShifted }

// failover kills one endpoint and times how long the nameservers take.
func (b *bench) failover(ctx context.Context) (failResult, error) {
	l := b.o.layout
	s, a := l.ports/2, min(3, l.addrs)
	f := failResult{name: l.service(s), addr: l.addr(a), target: l.target(s, a)}
	addr, err := netip.ParseAddr(f.addr)
	if err != nil {
		return f, err
	}
	if err := checkAll(ctx, b.nodes, f.name, addr); err != nil {
		return f, fmt.Errorf("failover: %w", err)
	}
	st, err := apiOf(b.nodes[0]).Status(ctx)
	if err != nil {
		return f, err
	}
	_, ln := b.nodeNamed(st.Cluster.Leader)
	if ln == nil {
		return f, fmt.Errorf("failover: %s knows no leader", b.nodes[0].name)
	}
	before, err := scrape(ln)
	if err != nil {
		return f, err
	}
	logf("failover: stopping %s (endpoint %s of %s); asking every node every %v", f.target, l.endpointName(s, a), f.name, b.o.queryEvery)
	f.t0, f.watch, f.err = failover(ctx, b.o.control, f.target, b.nodes, f.name, addr, b.o.queryEvery, time.Second, b.o.failLimit)
	if after, err := scrape(ln); err == nil {
		f.entries = uint64(after.applied - before.applied)
		evs, _ := eventsBetween(ctx, ln, uint64(before.applied), uint64(after.applied))
		for i, e := range evs {
			if e.Endpoint == l.endpointName(s, a) && e.Kind == "verdict" {
				f.verdict = &evs[i]
			}
		}
	}
	return f, f.err
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case <-time.After(d):
		return nil
	}
}

// describeEvents groups the events that explain Raft entries by kind and
// who proposed them, with one example each.
func describeEvents(evs []wire.Event) []string {
	type group struct {
		n       int
		example wire.Event
	}
	groups := map[string]*group{}
	for _, e := range evs {
		k := e.Kind + " by " + e.Who
		if groups[k] == nil {
			groups[k] = &group{example: e}
		}
		groups[k].n++
	}
	var out []string
	for k, g := range groups {
		out = append(out, fmt.Sprintf("%d × %s, e.g. index %d %s %s", g.n, k, g.example.Index, g.example.Endpoint, strings.TrimSpace(g.example.Detail)))
	}
	slices.Sort(out)
	return out
}

//go:build linux

package chaos

import (
	"outlast/internal/fulldisk"
	"outlast/internal/wire"

	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"outlast/internal/state"
)

// defaultDuration keeps the suite inside CI's budget; OUTLAST_CHAOS_DURATION
// sets another (20s to 10m). OUTLAST_CHAOS_SEED replays a run's schedule;
// OUTLAST_CHAOS_SUMMARY names a file the summary line is appended to,
// OUTLAST_CHAOS_HISTORY one the recorded history is written to as JSON.
const defaultDuration = 60 * time.Second

// TestChaos runs the cluster under faults for the configured duration,
// checks the recorded history and prints the summary line.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three outlast processes under faults for a minute")
	}
	seed, duration := settings(t)
	fmt.Printf("chaos seed=%d duration=%s (replay with OUTLAST_CHAOS_SEED=%d)\n", seed, duration, seed)
	t.Logf("chaos seed=%d duration=%s (replay with OUTLAST_CHAOS_SEED=%d)", seed, duration, seed)

	r := &run{t: t, rng: rand.New(rand.NewPCG(uint64(seed), 1)), seed: seed, duration: duration, out: map[string]bool{}}
	r.plan()
	r.c = newCluster(t, os.Geteuid() == 0, r.diskNode)
	if r.partitionWhy == "" {
		t.Cleanup(func() {
			if err := heal(); err != nil {
				t.Error(err)
			}
		})
	}
	for _, n := range r.c.nodes {
		r.c.start(n)
		t.Cleanup(func() {
			n.stop(t)
			if t.Failed() {
				t.Logf("--- last output of %s:\n%s", n.name, n.logs.Tail(6<<10))
			}
		})
	}
	r.rec = startRecording(r.c.nodes)
	t.Cleanup(r.rec.stop)
	r.waitLeader(20 * time.Second)
	r.waitSteady(20 * time.Second)

	r.start = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	overridesDone := r.startOverrides(ctx, rand.New(rand.NewPCG(uint64(seed), 2)))
	t.Cleanup(func() { cancel(); <-overridesDone }) // when a fault fails the test early
	r.injectAll()
	<-overridesDone
	r.settle()
	final := r.finalOverrides()
	r.rec.stop()
	r.report(final)
}

// settings reads the seed and the duration from the environment.
func settings(t *testing.T) (int64, time.Duration) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("OUTLAST_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("OUTLAST_CHAOS_SEED=%q: want an integer: %v", s, err)
		}
		seed = v
	}
	duration := defaultDuration
	if s := os.Getenv("OUTLAST_CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 20*time.Second || d > 10*time.Minute {
			t.Fatalf("OUTLAST_CHAOS_DURATION=%q: want a duration from 20s to 10m", s)
		}
		duration = d
	}
	return seed, duration
}

// run is one chaos run: the cluster, the recording and the faults made.
type run struct {
	t        *testing.T
	c        *cluster
	rec      *recorder
	rng      *rand.Rand // the scheduler's; only its goroutine draws
	seed     int64
	duration time.Duration
	start    time.Time

	kinds        []string // the faults to inject, in the seeded order
	skipped      []string
	diskNode     int // the node whose data directory is a tmpfs; -1 for none
	partitionWhy string

	mu       sync.Mutex
	faults   []Fault
	out      map[string]bool // nodes killed or frozen right now
	ops      []OverrideOp
	injected []string
}

// plan picks, from the seed, the order of the faults and the node whose
// disk will fill; root-only faults are skipped, with the reason, when the
// machine does not allow them.
func (r *run) plan() {
	kinds := []string{"kill-leader", "kill-leader-during-verdict", "sigstop", "partition", "disk-full"}
	r.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	r.diskNode = r.rng.IntN(len(nodeNames))
	partitionWhy, diskWhy := rootFaults()
	r.partitionWhy = partitionWhy
	for _, k := range kinds {
		why := map[string]string{"partition": partitionWhy, "disk-full": diskWhy}[k]
		if why != "" {
			r.t.Logf("skipping the %s fault: %s", k, why)
			fmt.Printf("chaos: skipping the %s fault: %s\n", k, why)
			r.skipped = append(r.skipped, k)
			continue
		}
		r.kinds = append(r.kinds, k)
	}
	if diskWhy != "" {
		r.diskNode = -1
	}
	r.t.Logf("fault order: %s; n%d's data directory is a %s tmpfs", strings.Join(r.kinds, ", "), r.diskNode+1, tmpfsSize)
}

func (r *run) logf(format string, args ...any) {
	r.t.Logf("t+%s "+format, append([]any{time.Since(r.start).Round(time.Millisecond)}, args...)...)
}

// dur draws a duration in [lo, hi) from the scheduler's seeded source.
func (r *run) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.rng.Int64N(int64(hi-lo)))
}

// injectAll runs every fault in its own slot of the run, at a seeded
// moment of it, one after the other, then records until the run's end.
func (r *run) injectAll() {
	slot := r.duration / time.Duration(max(1, len(r.kinds)))
	for i, kind := range r.kinds {
		at := r.start.Add(time.Duration(i)*slot + r.dur(500*time.Millisecond, max(slot/4, time.Second)))
		time.Sleep(max(time.Until(at), 500*time.Millisecond))
		r.logf("injecting %s", kind)
		switch kind {
		case "kill-leader":
			r.killLeader(false)
		case "kill-leader-during-verdict":
			r.killLeader(true)
		case "sigstop":
			r.freeze()
		case "partition":
			r.partitionOne()
		case "disk-full":
			r.fillDisk()
		}
		r.mu.Lock()
		r.injected = append(r.injected, kind)
		r.mu.Unlock()
	}
	time.Sleep(time.Until(r.start.Add(r.duration)))
}

// begin records the start of a fault on n.
func (r *run) begin(n *chaosNode, kind FaultKind, label string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, Fault{Node: n.name, Kind: kind, Label: label, Start: time.Now()})
	if kind == Killed || kind == Stopped {
		r.out[n.name] = true
	}
	r.logf("%s %s (%s)", n.name, kind, label)
	return len(r.faults) - 1
}

// end records that fault i was lifted, then waits for its node to be back
// in contact: /healthz answered after now, names a leader, is not stale,
// and has applied what the other nodes had applied when the fault ended.
func (r *run) end(i int, n *chaosNode) {
	lifted := time.Now()
	want := r.maxApplied(n.name)
	r.mu.Lock()
	r.faults[i].End = lifted
	r.mu.Unlock()
	back := r.waitBack(n, lifted, want, 30*time.Second)
	r.mu.Lock()
	r.faults[i].Back = back
	delete(r.out, n.name)
	r.mu.Unlock()
	if back.IsZero() {
		r.t.Errorf("%s was not back in contact 30 s after its %s fault was lifted (want a leader, not stale, applied index >= %d); the checker treats it as faulty to the end",
			n.name, r.faults[i].Kind, want)
		return
	}
	r.logf("%s back in contact %s after the fault was lifted (applied index >= %d)", n.name, back.Sub(lifted).Round(time.Millisecond), want)
}

func (r *run) waitBack(n *chaosNode, after time.Time, index uint64, limit time.Duration) time.Time {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		o, ok := r.rec.last(n.name)
		if ok && o.at.After(after) && o.h.Cluster.Leader != "" && !o.h.Stale && o.h.Cluster.AppliedIndex >= index {
			return o.at
		}
	}
	return time.Time{}
}

// maxApplied is the highest applied index the other nodes reported.
func (r *run) maxApplied(except string) uint64 {
	var index uint64
	for _, n := range r.c.nodes {
		if o, ok := r.rec.last(n.name); ok && n.name != except {
			index = max(index, o.h.Cluster.AppliedIndex)
		}
	}
	return index
}

// waitLeader returns the node whose fresh /healthz says it leads.
func (r *run) waitLeader(limit time.Duration) *chaosNode {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, n := range r.c.nodes {
			if o, ok := r.rec.last(n.name); ok && time.Since(o.at) < time.Second && o.h.Cluster.State == "Leader" {
				return n
			}
		}
	}
	r.t.Fatalf("no node reported itself leader within %s", limit)
	return nil
}

// waitSteady waits until every node reports both service endpoints up, so
// that the next fault starts from the primary answering.
func (r *run) waitSteady(limit time.Duration) {
	since := time.Now()
	for deadline := since.Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		up := 0
		for _, n := range r.c.nodes {
			o, ok := r.rec.last(n.name)
			p, _ := o.h.Endpoint("primary")
			s, _ := o.h.Endpoint("secondary")
			if ok && o.at.After(since) && p.Health == "up" && s.Health == "up" {
				up++
			}
		}
		if up == len(r.c.nodes) {
			return
		}
	}
	r.logf("the nodes did not all report both endpoints up within %s; going on", limit)
}

// backendDies stops the primary (always when primaryOnly, otherwise three
// times in four) or the secondary, and returns how to bring it back.
func (r *run) backendDies(primaryOnly bool) func() {
	b, name := r.c.primary, "primary"
	if r.rng.IntN(4) == 0 && !primaryOnly {
		b, name = r.c.secondary, "secondary"
	}
	b.stop()
	r.logf("backend %s stopped", name)
	return func() {
		if err := b.start(); err != nil {
			r.t.Errorf("restart backend %s: %v", name, err)
		}
		r.logf("backend %s started", name)
	}
}

func (r *run) killLeader(duringVerdict bool) {
	label := "kill-leader"
	leader := r.waitLeader(15 * time.Second)
	var revive func()
	if duringVerdict {
		label = "kill-leader-during-verdict"
		r.c.primary.stop()
		r.logf("backend primary stopped")
		revive = func() {
			if err := r.c.primary.start(); err != nil {
				r.t.Errorf("restart backend primary: %v", err)
			}
			r.logf("backend primary started")
		}
		r.waitProbeFails(leader, "primary", 5*time.Second)
		time.Sleep(r.dur(0, 800*time.Millisecond))
	}
	i := r.begin(leader, Killed, label)
	leader.kill()
	if !duringVerdict {
		time.Sleep(r.dur(200*time.Millisecond, 1200*time.Millisecond))
		revive = r.backendDies(false)
	}
	time.Sleep(r.dur(time.Second, 2*time.Second))
	r.c.start(leader)
	r.lift(i, leader, revive)
}

// during lets a fault settle, then a backend dies (the primary when
// primaryOnly), and the fault holds on for between lo and hi; it returns
// what brings the backend back.
func (r *run) during(settleLo, settleHi time.Duration, primaryOnly bool, lo, hi time.Duration) func() {
	time.Sleep(r.dur(settleLo, settleHi))
	revive := r.backendDies(primaryOnly)
	time.Sleep(r.dur(lo, hi))
	return revive
}

// lift ends fault i of n, whose cause was just removed, then brings the
// dead backend back and waits for the cluster to settle.
func (r *run) lift(i int, n *chaosNode, revive func()) {
	r.end(i, n)
	time.Sleep(r.dur(500*time.Millisecond, 1500*time.Millisecond))
	revive()
	r.waitSteady(20 * time.Second)
}

// waitProbeFails waits until n's own probe of endpoint fails: the
// verdict is about to change.
func (r *run) waitProbeFails(n *chaosNode, endpoint string, limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if o, ok := r.rec.last(n.name); ok {
			if e, ok := o.h.Endpoint(endpoint); ok && e.LastProbe != "" && e.LastProbe != "ok" {
				r.logf("%s's own probe of %s says %s (agreed: %s)", n.name, endpoint, e.LastProbe, e.Health)
				return
			}
		}
	}
	r.logf("%s's probe of %s did not fail within %s; killing anyway", n.name, endpoint, limit)
}

func (r *run) freeze() {
	n := r.c.nodes[r.rng.IntN(len(r.c.nodes))]
	i := r.begin(n, Stopped, "sigstop")
	if err := n.signal(syscall.SIGSTOP); err != nil {
		r.t.Errorf("SIGSTOP %s: %v", n.name, err)
	}
	revive := r.during(300*time.Millisecond, time.Second, false, 2*time.Second, 3*time.Second)
	if err := n.signal(syscall.SIGCONT); err != nil {
		r.t.Errorf("SIGCONT %s: %v", n.name, err)
	}
	r.lift(i, n, revive)
}

// partitionOne cuts a node off for longer than cluster.stale_after (5 s).
func (r *run) partitionOne() {
	n := r.c.nodes[r.rng.IntN(len(r.c.nodes))]
	if err := partition(n, r.c.ports[2]); err != nil {
		r.t.Errorf("partition %s: %v", n.name, err)
		return
	}
	i := r.begin(n, Partitioned, "partition")
	// The primary dies while the node is cut off (issue 12's defect 7).
	revive := r.during(500*time.Millisecond, 1500*time.Millisecond, true, 6*time.Second, 8*time.Second)
	if err := heal(); err != nil {
		r.t.Errorf("heal the partition of %s: %v", n.name, err)
	}
	r.lift(i, n, revive)
}

func (r *run) fillDisk() {
	n := r.c.nodes[r.diskNode]
	written, err := fulldisk.Fill(fillFile(n.dataDir))
	if err != nil {
		r.t.Errorf("fill %s's disk: %v", n.name, err)
	}
	i := r.begin(n, DiskFull, fmt.Sprintf("disk-full (%d MiB written)", written>>20))
	revive := r.during(500*time.Millisecond, 1500*time.Millisecond, false, 5*time.Second, 7*time.Second)
	if err := os.Remove(fillFile(n.dataDir)); err != nil {
		r.t.Errorf("free %s's disk: %v", n.name, err)
	}
	r.lift(i, n, revive)
}

// startOverrides sets and clears overrides through the API at seeded
// moments, through a node that is neither killed nor frozen, one request
// at a time; it closes the channel it returns when done.
func (r *run) startOverrides(ctx context.Context, rng *rand.Rand) <-chan struct{} {
	done := make(chan struct{})
	const count = 6
	span := r.duration - 8*time.Second
	var at []time.Duration
	for range count {
		at = append(at, 2*time.Second+time.Duration(rng.Int64N(int64(span))))
	}
	go func() {
		defer close(done)
		slices.Sort(at)
		for _, d := range at {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(r.start.Add(d))):
			}
			endpoint := opsEndpoints[rng.IntN(len(opsEndpoints))]
			kind := []string{"drain", "drain", "force-down", ""}[rng.IntN(4)]
			pick := rng.IntN(len(r.c.nodes))
			r.override(ctx, r.liveNode(pick), endpoint, kind)
		}
	}()
	return done
}

// liveNode returns the node at pick, or the next one neither killed nor frozen.
func (r *run) liveNode(pick int) *chaosNode {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.c.nodes {
		if n := r.c.nodes[(pick+k)%len(r.c.nodes)]; !r.out[n.name] {
			return n
		}
	}
	return r.c.nodes[pick]
}

// override sets (kind non-empty) or clears the override of endpoint
// through n's API and records the outcome.
func (r *run) override(ctx context.Context, n *chaosNode, endpoint, kind string) {
	ctx, cancel := context.WithTimeout(ctx, 12*time.Second)
	defer cancel()
	op := OverrideOp{Node: n.name, Endpoint: endpoint, Kind: kind, Sent: time.Now()}
	var err error
	if kind != "" {
		_, err = n.api().SetOverride(ctx, wire.OverrideRequest{Endpoint: endpoint, Kind: state.OverrideKind(kind), Reason: "chaos suite"})
	} else {
		_, err = n.api().ClearOverride(ctx, endpoint, "chaos suite")
	}
	op.Got = time.Now()
	var refusal *wire.Error
	switch {
	case err == nil:
		op.Acked = true
	case errors.As(err, &refusal) && refusal.Status >= 400 && refusal.Status < 500:
		op.Refused, op.Err = true, err.Error() // said no for certain: nothing changed
	default:
		op.Err = err.Error() // no answer, or a 5xx: it may or may not have been committed
	}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
	what := "set " + kind
	if kind == "" {
		what = "clear"
	}
	r.logf("override %s %s through %s: acked=%t refused=%t %s (%s)", what, endpoint, n.name, op.Acked, op.Refused, op.Err,
		op.Got.Sub(op.Sent).Round(time.Millisecond))
}

// settle waits, after the last fault, until every node reports the same
// leader and applied index, so the final override sets compare like with like.
func (r *run) settle() {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		leaders, indexes := map[string]bool{}, map[uint64]bool{}
		for _, n := range r.c.nodes {
			if o, ok := r.rec.last(n.name); ok && time.Since(o.at) < time.Second {
				leaders[o.h.Cluster.Leader], indexes[o.h.Cluster.AppliedIndex] = true, true
			}
		}
		if len(leaders) == 1 && len(indexes) == 1 && !leaders[""] {
			return
		}
	}
	r.logf("the nodes did not converge on one leader and applied index within 20 s; checking the overrides anyway")
}

// finalOverrides reads every node's override set.
func (r *run) finalOverrides() map[string]map[string]string {
	final := map[string]map[string]string{}
	for _, n := range r.c.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		overrides, err := n.api().Overrides(ctx)
		cancel()
		if err != nil {
			r.t.Errorf("GET /api/v1/overrides on %s: %v", n.name, err)
			continue
		}
		final[n.name] = map[string]string{}
		for _, o := range overrides {
			final[n.name][o.Endpoint] = string(o.Kind)
		}
		r.logf("%s holds overrides %v", n.name, final[n.name])
	}
	return final
}

// report checks the history and prints the summary line.
func (r *run) report(final map[string]map[string]string) {
	queries, samples := r.rec.records()
	r.mu.Lock()
	h := History{Seed: r.seed, Start: r.start, End: time.Now(), Nodes: nodeNames,
		Addrs:   map[string]string{primaryIP: "primary", secondaryIP: "secondary"},
		Queries: queries, Samples: samples, Faults: append([]Fault(nil), r.faults...),
		Override: append([]OverrideOp(nil), r.ops...), Final: final}
	injected := append([]string(nil), r.injected...)
	r.mu.Unlock()
	if path := os.Getenv("OUTLAST_CHAOS_HISTORY"); path != "" {
		r.saveHistory(path, h)
	}
	rep := Check(h)
	longest := slices.SortedFunc(slices.Values(rep.Windows), func(a, b Window) int { return cmp.Compare(b.Len(), a.Len()) })
	for _, w := range longest[:min(3, len(longest))] {
		r.t.Logf("split window at t+%s lasted %s: %s", offset(h.Start, w.Start), w.Len().Round(time.Millisecond), w.Detail)
	}
	if details := rep.Details(h.Start, 20); details != "" {
		r.t.Logf("violations (times from the start of the run):\n%s", details)
	}
	line := rep.Summary(r.seed, h.End.Sub(h.Start), injected, r.skipped)
	r.t.Log(line)
	fmt.Println(line)
	if path := os.Getenv("OUTLAST_CHAOS_SUMMARY"); path != "" {
		r.appendSummary(path, line)
	}
	if !rep.OK() {
		r.t.Errorf("the chaos run found violations (seed %d): %s", r.seed, line)
	}
	if rep.Queries == 0 || len(injected) == 0 {
		r.t.Errorf("the chaos run checked %d queries under %d faults; a run that checks nothing proves nothing: %s",
			rep.Queries, len(injected), line)
	}
}

// appendSummary adds the summary line to the file OUTLAST_CHAOS_SUMMARY
// names, so a CI script can print it at the very end of its run.
func (r *run) appendSummary(path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = fmt.Fprintln(f, line)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		r.t.Errorf("OUTLAST_CHAOS_SUMMARY=%s: %v", path, err)
	}
}

// saveHistory writes the recorded history as JSON to the file
// OUTLAST_CHAOS_HISTORY names, to look into a run's violations afterwards.
func (r *run) saveHistory(path string, h History) {
	data, err := json.Marshal(h)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		r.t.Errorf("OUTLAST_CHAOS_HISTORY=%s: %v", path, err)
	}
}

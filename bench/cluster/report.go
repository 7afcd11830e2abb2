//go:build linux

package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// report prints the table, the details and the summary line.
func report(b *bench, warm warmResult, q quietResult, f failResult) {
	secs := q.elapsed.Seconds()
	fmt.Printf("\nquiet window: %.1f s, %d nodes, %d endpoints (interval 1s, fall 2, rise 2, ttl 5s), leader %s\n\n",
		secs, len(b.nodes), b.o.layout.endpoints(), q.leader)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "node\trole\tlocation\tsent B/s\trecv B/s\traft entries\tcpu %\trss MB\tgoroutines\tprobes/s\tprobes ok %\tlateness p99 ms\tfailover s\t")
	var sentTotal, leaderIn, cpuTotal, probesTotal, elections float64
	for i, n := range b.nodes {
		a, z := q.start[i], q.end[i]
		dt := z.at.Sub(a.at).Seconds()
		sent, recv := (z.sent-a.sent)/dt, (z.recv-a.recv)/dt
		probes := (z.probes - a.probes) / dt
		okPct := 100 * (z.probesOK - a.probesOK) / math.Max(1, z.probes-a.probes)
		cpu := 100 * (z.cpu - a.cpu) / dt
		role := "follower"
		if n.name == q.leader {
			role, leaderIn = "leader", recv
		}
		sentTotal += sent
		elections += z.elections - a.elections
		cpuTotal += cpu
		probesTotal += probes
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t%s\t\n", n.name, role, n.location,
			sent, recv, z.applied-a.applied, cpu, z.rss/(1<<20), z.goroutines, probes, okPct,
			ms(latenessP99(a, z)), failoverCell(f, i))
	}
	fmt.Fprintf(tw, "total\t\t\t%.0f\t\t\t%.0f\t\t\t%.0f\t\t\t\t\n", sentTotal, cpuTotal, probesTotal)
	tw.Flush()

	entriesPerMin := float64(q.entries) / q.elapsed.Minutes()
	fmt.Printf("\nwarm-up took %.1f s; at the start %d endpoints up, %d down on every node", warm.took.Seconds(), warm.up, warm.down)
	if q.endCounts != nil {
		fmt.Printf("; at the end the leader says %v", q.endCounts)
	}
	fmt.Println()
	if !q.leaderStayed || elections > 0 {
		fmt.Printf("WARNING: leadership changed in the window (%.0f leader changes seen over all nodes; %s leading at start and end: %v): overload or noise, see the nodes' logs\n",
			elections, q.leader, q.leaderStayed)
	}
	other := q.machineCores - cpuTotal/100 - q.targetsCores - q.selfCores
	fmt.Printf("machine CPU busy: %.2f of %d cores = outlast nodes %.2f + targets process %.2f + this program %.2f + everything else %.2f (other benches: noise)\n",
		q.machineCores, runtime.NumCPU(), cpuTotal/100, q.targetsCores, q.selfCores, other)
	fmt.Printf("targets process answered %.0f requests/s (want %d nodes × %d endpoints = %d)\n",
		float64(q.served)/secs, len(b.nodes), b.o.layout.endpoints(), len(b.nodes)*b.o.layout.endpoints())
	fmt.Printf("raft log entries on the leader in the quiet window: %d (%.1f per minute)\n", q.entries, entriesPerMin)
	if q.entries > 0 {
		fmt.Printf("  committed commands, from the replicated events (one event per endpoint a command changed; entries without an event are Raft's own or no-op commands):\n")
		for _, line := range describeEvents(q.events) {
			fmt.Println("   ", line)
		}
	}
	agree, ok := f.allAgree()
	fmt.Printf("failover: stopped %s at %s; ", f.target, f.t0.Format("15:04:05.000"))
	if f.verdict != nil {
		fmt.Printf("leader committed %q at +%.2f s; ", f.verdict.Detail, f.verdict.At.Sub(f.t0).Seconds())
	}
	fmt.Printf("%d raft entries during the failover\n", f.entries)
	summary := fmt.Sprintf("nodes=%d endpoints=%d duration_s=%g leader=%s bytes_per_s_total=%.0f bytes_per_s_leader_in=%.0f raft_entries_per_min=%.1f",
		len(b.nodes), b.o.layout.endpoints(), b.o.duration.Seconds(), q.leader, sentTotal, leaderIn, entriesPerMin)
	if ok && f.err == nil {
		summary += fmt.Sprintf(" failover_all_agree_s=%.2f", agree.Seconds())
	} else {
		summary += " failover_all_agree_s=FAILED"
	}
	summary += fmt.Sprintf(" probes_per_s=%.0f cpu_cores_nodes=%.2f cpu_cores_other=%.2f", probesTotal, cpuTotal/100, other)
	fmt.Println(summary)
}

func failoverCell(f failResult, i int) string {
	if i >= len(f.watch.Servers) {
		return "-"
	}
	w := f.watch.Servers[i]
	if !w.Shifted {
		return fmt.Sprintf(">%.1f", time.Since(f.t0).Seconds())
	}
	cell := fmt.Sprintf("%.2f", w.At.Seconds())
	if w.Failed() > 0 {
		cell += fmt.Sprintf(" (%s)", w.FailureText())
	}
	return cell
}

func ms(seconds float64) string {
	if math.IsNaN(seconds) {
		return "-"
	}
	if math.IsInf(seconds, 1) {
		return ">max"
	}
	return fmt.Sprintf("≤%.0f", seconds*1000)
}

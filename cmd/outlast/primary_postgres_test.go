package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"outlast/internal/pgtest"
	"outlast/internal/shiftwatch"
	"outlast/internal/wire"
)

// The PostgreSQL servers of the primary test, each on its own loopback
// address: a DNS answer carries no port.
const (
	pgPrimaryIP = "127.0.0.91"
	pgReplicaIP = "127.0.0.92"
	dbName      = "db.example.test"
)

// TestPrimaryPostgresFailover is issue 17's integration test: a real
// PostgreSQL primary and its streaming replica, and a cluster of three
// `outlast serve` processes electing the primary of db.example.test.
// The primary is frozen (SIGSTOP); outlast promotes the replica with
// pg_ctl promote as its on_promote, the leader being SIGKILLed in the
// middle of that hook, and the new leader runs it again with the same
// epoch; the name moves only once the replica is a primary, and the old
// one's on_demote stops it. A checker asks every node's DNS and both
// servers' pg_is_in_recovery() every 50 ms throughout, and must never see
// the name answer a server that is a replica, nor two writable servers.
func TestPrimaryPostgresFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PostgreSQL and a cluster of processes")
	}
	pgPort := freePortsOn(t, []string{pgPrimaryIP, pgReplicaIP}, 1)[0]
	pair := pgtest.StartPairOn(t, pgPrimaryIP, pgPort, pgReplicaIP, pgPort)
	hookDir := filepath.Join(t.TempDir(), "hooks")
	if err := pair.WriteHooks(hookDir); err != nil {
		t.Fatal(err)
	}
	healthPort := freePortsOn(t, []string{pgPrimaryIP, pgReplicaIP}, 1)[0]
	for _, s := range []*pgtest.Server{pair.Primary, pair.Replica} {
		startPGHealth(t, s, fmt.Sprintf("%s:%d", s.Host, healthPort))
	}

	lab := &clusterLab{t: t, bin: buildOutlast(t), dir: t.TempDir(), api: operatorsAPI(), hookDir: hookDir,
		services: pgServices(healthPort, pair)}
	lab.addNodes()
	lab.startAll()
	lab.waitForLeader(nil, 20*time.Second)
	lab.waitAll(dbName, pgPrimaryIP, 30*time.Second)
	t.Logf("the first election made %s primary; every node answers %s", pair.Primary.Name, pgPrimaryIP)

	check := startPGChecker(lab.nodes, pair)
	time.Sleep(2 * time.Second) // what the checker sees before the fault
	// The first run of the replica's on_promote waits, so the leader can be
	// killed in its middle.
	pause := filepath.Join(hookDir, pair.Replica.Name+".pause")
	if err := os.WriteFile(pause, []byte("6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	if err := pair.Primary.Freeze(); err != nil {
		t.Fatal(err)
	}
	waitHookLog(t, hookDir, pair.Replica.Name, "promote epoch=2", 1, 30*time.Second)
	leader := lab.waitForLeader(nil, 5*time.Second)
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	if err := os.Remove(pause); err != nil {
		t.Fatal(err)
	}
	t.Logf("on_promote of %s started at epoch 2 after %s; leader %s killed in its middle",
		pair.Replica.Name, time.Since(frozen).Round(time.Millisecond), leader.name)
	survivors := slices.DeleteFunc(slices.Clone(lab.nodes), func(n *labNode) bool { return n == leader })
	check.watch(survivors)

	waitHookLog(t, hookDir, pair.Replica.Name, "promote epoch=2", 2, 45*time.Second)
	waitAllOf(t, survivors, dbName, pgReplicaIP, 45*time.Second)
	t.Logf("the name moved to %s %s after the freeze", pgReplicaIP, time.Since(frozen).Round(time.Millisecond))
	waitHookLog(t, hookDir, pair.Primary.Name, "demote epoch=2", 1, 45*time.Second)
	for deadline := time.Now().Add(20 * time.Second); pair.Primary.Alive(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still runs 20 s after its on_demote logged", pair.Primary.Name)
		}
	}
	time.Sleep(3 * time.Second) // keep checking after the fencing
	report := check.stop()
	t.Logf("checker: %s", report)
	if len(report.violations) > 0 {
		t.Errorf("violations of exactly one primary:\n%s", strings.Join(report.violations, "\n"))
	}
	if report.ticks < 60 || report.answered[pgPrimaryIP] == 0 || report.answered[pgReplicaIP] == 0 ||
		report.writable[pair.Primary.Name] == 0 || report.writable[pair.Replica.Name] == 0 {
		t.Errorf("the checker saw too little to hold anything (%s): want 60 ticks or more, and answers and writes on each server", report)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tl, err := pair.Replica.Timeline(ctx); err != nil || tl != 2 {
		t.Errorf("timeline of %s is %d (%v), want 2: exactly one promotion", pair.Replica.Name, tl, err)
	}
	lines, _ := pgtest.HookLog(hookDir, pair.Replica.Name)
	for _, l := range lines {
		if l != "promote epoch=2" {
			t.Errorf("the replica's hook ran with %q; every run of one promotion must carry its epoch, 2", l)
		}
	}
	checkPrimaryStatus(t, lab, survivors[0], pair)
}

// pgServices is db.example.test of policy primary over the pair, checked
// through each server's health sidecar.
func pgServices(healthPort int, pair *pgtest.Pair) string {
	ep := func(s *pgtest.Server, place string, priority int) string {
		return fmt.Sprintf(`      - name: %[1]s
        location: %[2]s
        addresses: [%[3]s]
        priority: %[4]d
        on_promote: {exec: [promote-%[1]s], timeout: 60s}
        on_demote: {exec: [demote-%[1]s], timeout: 30s}
`, s.Name, place, s.Host, priority)
	}
	return fmt.Sprintf(`services:
  - name: %s
    ttl: 1s
    policy: primary
    check: {type: http, port: %d, interval: 500ms, timeout: 400ms, fall: 3, rise: 2, http: {path: /health}}
    endpoints:
`, dbName, healthPort) + ep(pair.Primary, "aws/us-east-1", 1) + ep(pair.Replica, "gcp/us-central1", 2)
}

// startPGHealth serves s's health as Patroni's REST API does: 200 while
// the server answers a query within 300 ms, 503 otherwise (a frozen
// server accepts TCP connections in the kernel, so a TCP check would
// pass).
func startPGHealth(t *testing.T, s *pgtest.Server, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 300*time.Millisecond)
		defer cancel()
		if _, err := s.InRecovery(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// waitHookLog waits until server's hook log holds line at least n times.
func waitHookLog(t *testing.T, dir, server, line string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		lines, err := pgtest.HookLog(dir, server)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, l := range lines {
			if l == line {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's hook log holds %q %d times after %s, want %d: %q", server, line, count, limit, n, lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAllOf waits until every one of nodes answers name with want alone.
func waitAllOf(t *testing.T, nodes []*labNode, name, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		all := true
		for _, n := range nodes {
			if _, ok := answers(n.dnsAddr, name, want); !ok {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every node answers %s with %s alone after %s", name, want, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkPrimaryStatus reads outlast primary status from node: epoch 2, the
// replica primary, the former primary fenced, both hooks' last runs ok.
func checkPrimaryStatus(t *testing.T, lab *clusterLab, node *labNode, pair *pgtest.Pair) {
	out, err := lab.ops(node, readToken, "primary", "status", "-o", "json")
	if err != nil {
		t.Fatalf("outlast primary status: %v\n%s", err, out)
	}
	var ps []wire.Primary
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("outlast primary status -o json: %v\n%s", err, out)
	}
	p := ps[0]
	if p.Primary != pair.Replica.Name || p.Epoch != 2 || p.Pending != nil || len(p.Fencing) != 0 || len(p.Hooks) != 2 {
		t.Errorf("primary status %+v: want %s primary at epoch 2, nothing pending or to fence, two hooks' runs", p, pair.Replica.Name)
	}
	for _, h := range p.Hooks {
		if !h.OK || h.Epoch != 2 {
			t.Errorf("hook run %+v: want ok at epoch 2", h)
		}
	}
	table, _ := lab.ops(node, readToken, "primary", "status")
	t.Logf("outlast primary status:\n%s", table)
}

// pgChecker asks the nodes' DNS and both servers' roles every 50 ms.
type pgChecker struct {
	pair  *pgtest.Pair
	mu    sync.Mutex
	nodes []*labNode
	stopc chan struct{}
	done  chan struct{}
	r     pgReport
}

type pgReport struct {
	ticks      int
	answered   map[string]int // answers per address
	writable   map[string]int // ticks each server was writable
	violations []string
}

func (r pgReport) String() string {
	return fmt.Sprintf("%d ticks, answers %v, writable ticks %v, %d violations", r.ticks, r.answered, r.writable, len(r.violations))
}

func startPGChecker(nodes []*labNode, pair *pgtest.Pair) *pgChecker {
	c := &pgChecker{pair: pair, nodes: nodes, stopc: make(chan struct{}), done: make(chan struct{}),
		r: pgReport{answered: map[string]int{}, writable: map[string]int{}}}
	go c.run()
	return c
}

// watch changes the nodes asked (a killed node answers nothing).
func (c *pgChecker) watch(nodes []*labNode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes = nodes
}

func (c *pgChecker) stop() pgReport {
	close(c.stopc)
	<-c.done
	return c.r
}

func (c *pgChecker) run() {
	defer close(c.done)
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.stopc:
			return
		case <-tick.C:
			c.tick(time.Since(start))
		}
	}
}

// tick takes one sample: every node's answer, then both servers' roles,
// asked at once. A server that does not answer in 150 ms is neither
// writable nor a replica in this sample. An answer naming a server that
// then says it is in recovery is a violation (promotion only turns a
// replica into a primary, so the role cannot have changed the other way
// between the two asks); so are two writable servers in one sample.
func (c *pgChecker) tick(at time.Duration) {
	c.mu.Lock()
	nodes := c.nodes
	c.mu.Unlock()
	var answersNow []string
	for _, n := range nodes {
		a := shiftwatch.Ask(context.Background(), n.dnsAddr, shiftwatch.Query{Name: dbName})
		if a.Kind != shiftwatch.Answered {
			continue
		}
		if len(a.Addrs) > 1 {
			c.r.violations = append(c.r.violations, fmt.Sprintf("%s: %s answers %v, more than one server", at, n.name, a.Addrs))
		}
		for _, addr := range a.Addrs {
			answersNow = append(answersNow, addr.String())
		}
	}
	servers := []*pgtest.Server{c.pair.Primary, c.pair.Replica}
	recovering := make([]bool, 2)
	reached := make([]bool, 2)
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			in, err := s.InRecovery(ctx)
			recovering[i], reached[i] = in, err == nil
		})
	}
	wg.Wait()
	c.r.ticks++
	writable := 0
	for i, s := range servers {
		if reached[i] && !recovering[i] {
			writable++
			c.r.writable[s.Name]++
		}
		for _, addr := range answersNow {
			if addr == s.Host && reached[i] && recovering[i] {
				c.r.violations = append(c.r.violations, fmt.Sprintf("%s: the name answers %s (%s), a replica", at, addr, s.Name))
			}
		}
	}
	for _, addr := range answersNow {
		c.r.answered[addr]++
	}
	if writable > 1 {
		c.r.violations = append(c.r.violations, fmt.Sprintf("%s: both servers are writable", at))
	}
}

package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlast/internal/cluster"
	"outlast/internal/shiftwatch"
	"outlast/internal/state"
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

// previousCommit is the build the rolling-upgrade test upgrades from: the
// last commit before protocol versions (it speaks version 1 and sends none).
const previousCommit = "7627d81"

// upgradeTertiary is the third backend of the upgrade lab.
const upgradeTertiary = "127.0.0.33"

// TestRollingUpgrade is issue 19's rolling upgrade: a 3-node cluster of the
// previous build, with an override in force and verdicts formed, has its
// nodes replaced one at a time by the current build, with their own
// configuration and data directory, while a client asks every node 20
// times a second. After each step: no failed query, the override and every
// verdict still there on every node, and a failover that still works. At
// the end every node speaks the current protocol and so does the cluster.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the previous commit and runs a cluster of processes")
	}
	started := time.Now()
	oldBin := buildPrevious(t, previousCommit)
	lab := newUpgradeLab(t)
	for _, n := range lab.nodes {
		lab.startWith(n, oldBin)
	}
	lab.waitForLeader(nil, 20*time.Second)
	lab.waitAllAnswer(clusterPrimary, 20*time.Second)
	if out, err := lab.ops(lab.nodes[0], adminToken, "drain", "primary", "--reason", "upgrade test: keep traffic off the primary"); err != nil {
		t.Fatalf("outlast drain on the old build: %v\n%s", err, out)
	}
	lab.waitAllAnswer(clusterSecondary, 20*time.Second)
	lab.waitVerdicts(t, 20*time.Second)
	t.Logf("old cluster (%s) up, primary drained, verdicts formed after %s", previousCommit, time.Since(started).Round(time.Millisecond))

	q := startQueries(lab.nodes, clusterSecondary)
	defer q.stop()
	bin := lab.bin
	for step, n := range lab.nodes {
		t.Run(fmt.Sprintf("step %d: %s to the current build", step+1, n.name), func(t *testing.T) {
			stepStart := time.Now()
			q.down(n.name)
			stopProcess(t, n.cmd)
			lab.startWith(n, bin)
			q.starting(n.name)
			q.waitServing(t, n.name, 20*time.Second)
			lab.waitCaughtUp(t, n, 15*time.Second)
			lab.checkKept(t)
			lab.failover(t, q)
			lab.checkKept(t)
			if step == 0 {
				lab.restoreWaits(t, n)
			}
			time.Sleep(steadyWindow) // every node asked in steady state, the new one among them
			s := q.take()
			t.Logf("%s upgraded in %s: %s", n.name, time.Since(stepStart).Round(time.Millisecond), s)
			if s.failed > 0 {
				t.Errorf("%d failed queries: %s", s.failed, strings.Join(s.failures, "; "))
			}
			if s.sent == 0 {
				t.Error("no query was sent")
			}
			if step < len(lab.nodes)-1 {
				lab.wantVersions(t, n, 1, 0) // mixed: the cluster stays at 1
			}
		})
		if t.Failed() {
			return
		}
	}
	lab.wantVersions(t, lab.nodes[0], state.ProtocolVersion, 10*time.Second)
	t.Logf("outlast cluster status after the upgrade:\n%s", lab.run("cluster", "status", "--config", lab.nodes[0].config))
	t.Logf("rolling upgrade done in %s", time.Since(started).Round(time.Millisecond))
}

// steadyWindow is how long each step keeps asking after its checks.
const steadyWindow = 2 * time.Second

// restoreWaits: in a mixed cluster an upgraded node refuses to propose a
// command kind of the new version (restore-state, version 2), which the
// old nodes could not apply: the gate by cluster version.
func (lab *upgradeLab) restoreWaits(t *testing.T, n *labNode) {
	t.Helper()
	file := filepath.Join(lab.dir, "backup.json")
	if out, err := lab.ops(n, adminToken, "backup", "-o", file); err != nil {
		t.Fatalf("outlast backup from the upgraded %s: %v\n%s", n.name, err, out)
	}
	out, err := lab.ops(n, adminToken, "restore", "--force", "--reason", "upgrade test: must wait for the cluster version", file)
	if err == nil || !strings.Contains(out, "protocol version 2") || !strings.Contains(out, "409 not_yet") {
		t.Fatalf("outlast restore in a mixed cluster: %v, want a 409 not_yet refusal naming protocol version 2:\n%s", err, out)
	}
	t.Logf("restore in the mixed cluster refused: %s", strings.TrimSpace(out))
}

// buildPrevious builds cmd/outlast at commit in a temporary git worktree,
// removed at the end; the test is skipped when git or the commit is not
// there (a source archive, a shallow clone).
func buildPrevious(t *testing.T, commit string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot build the previous commit")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout (%v): cannot build the previous commit", err)
	}
	repo := strings.TrimSpace(string(root))
	if err := exec.Command("git", "-C", repo, "cat-file", "-e", commit+"^{commit}").Run(); err != nil {
		t.Skipf("commit %s is not in this checkout (a shallow clone?): cannot build the previous build", commit)
	}
	dir := t.TempDir()
	tree := filepath.Join(dir, "src")
	if out, err := exec.Command("git", "-C", repo, "worktree", "add", "--detach", tree, commit).CombinedOutput(); err != nil {
		t.Fatalf("git worktree add %s: %v\n%s", commit, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("git", "-C", repo, "worktree", "remove", "--force", tree).CombinedOutput(); err != nil {
			t.Errorf("git worktree remove %s: %v\n%s", tree, err, out)
		}
	})
	bin := filepath.Join(dir, "outlast-"+commit)
	build := exec.Command("go", "build", "-o", bin, "./cmd/outlast")
	build.Dir = tree
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build at %s: %v\n%s", commit, err, out)
	}
	return bin
}

// newUpgradeLab is the cluster lab with three backends: the primary
// (drained through the test), the secondary (answered), the tertiary (what
// a failover of the secondary moves to).
func newUpgradeLab(t *testing.T) *upgradeLab {
	lab := &upgradeLab{
		clusterLab: &clusterLab{t: t, bin: buildOutlast(t), dir: t.TempDir(), healthy: clusterSecondary, api: operatorsAPI()},
		backends:   map[string]*filteredBackend{},
	}
	ips := []string{clusterPrimary, clusterSecondary, upgradeTertiary}
	port := freePortsOn(t, ips, 1)[0]
	for _, ip := range ips {
		lab.backends[ip] = startFilteredBackend(t, fmt.Sprintf("%s:%d", ip, port))
	}
	lab.services = fmt.Sprintf(`services:
  - name: api.example.test
    ttl: 5s
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 2, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
      - {name: tertiary, location: azure/westeurope, addresses: [%s], priority: 3}
`, port, clusterPrimary, clusterSecondary, upgradeTertiary)
	lab.addNodes()
	return lab
}

// upgradeLab is the cluster lab with its backends by address.
type upgradeLab struct {
	*clusterLab
	backends map[string]*filteredBackend
}

// startWith starts n from bin (lab.start runs lab.bin).
func (lab *upgradeLab) startWith(n *labNode, bin string) {
	saved := lab.bin
	lab.bin = bin
	lab.start(n)
	lab.bin = saved
}

// upgradeEndpoints are the lab's endpoints by name, with their backends.
var upgradeEndpoints = map[string]string{"primary": clusterPrimary, "secondary": clusterSecondary, "tertiary": upgradeTertiary}

// waitVerdicts waits until every node's API shows every endpoint up.
func (lab *upgradeLab) waitVerdicts(t *testing.T, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		missing := lab.missingVerdicts()
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("verdicts not formed within %s: %s", limit, missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// missingVerdicts says which node lacks which endpoint's up verdict.
func (lab *upgradeLab) missingVerdicts() string {
	var missing []string
	for _, n := range lab.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		services, err := lab.client(n).Services(ctx)
		cancel()
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s: %v", n.name, err))
			continue
		}
		for name := range upgradeEndpoints {
			if e, ok := wire.EndpointNamed(services, name); !ok || e.Verdict != "up" {
				missing = append(missing, fmt.Sprintf("%s: %s verdict %q", n.name, name, e.Verdict))
			}
		}
	}
	slices.Sort(missing)
	return strings.Join(missing, ", ")
}

// checkKept: on every node the drain is still in force and every endpoint
// still has its up verdict.
func (lab *upgradeLab) checkKept(t *testing.T) {
	t.Helper()
	lab.waitVerdicts(t, 15*time.Second) // after a failover the secondary rises again
	for _, n := range lab.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		overrides, err := lab.client(n).Overrides(ctx)
		cancel()
		if err != nil {
			t.Fatalf("overrides of %s: %v", n.name, err)
		}
		if !slices.ContainsFunc(overrides, func(o wire.Override) bool { return o.Endpoint == "primary" && o.Kind == "drain" }) {
			t.Errorf("%s lost the drain of the primary: %+v", n.name, overrides)
		}
	}
}

// waitCaughtUp waits until n applied as far as the leader and knows it.
func (lab *upgradeLab) waitCaughtUp(t *testing.T, n *labNode, limit time.Duration) {
	t.Helper()
	leader := lab.waitForLeader(nil, limit)
	want := lab.status(leader).Cluster.AppliedIndex
	deadline := time.Now().Add(limit)
	for {
		s, err := lab.tryStatus(n)
		if err == nil && s.Cluster.AppliedIndex >= want && s.Cluster.Leader != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not catch up to index %d within %s: %+v (%v)", n.name, want, limit, s, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// failover stops the secondary's backend: every node moves to the
// tertiary; then it serves again and they all come back.
func (lab *upgradeLab) failover(t *testing.T, q *queries) {
	t.Helper()
	secondary := lab.backends[clusterSecondary]
	q.expect(clusterSecondary, upgradeTertiary)
	secondary.stop()
	took := lab.waitAllAnswer(upgradeTertiary, 3*clusterSwitchBound)
	secondary.serve()
	back := lab.waitAllAnswer(clusterSecondary, 20*time.Second)
	q.expect(clusterSecondary)
	t.Logf("failover: all nodes on the tertiary %s after the secondary stopped, back %s after it served again",
		took.Round(time.Millisecond), back.Round(time.Millisecond))
}

// wantVersions asks every node over the cluster RPC (with n's certificate)
// for the protocol it speaks and the cluster version it decided: the
// cluster version must be want, within limit.
func (lab *upgradeLab) wantVersions(t *testing.T, n *labNode, want int, limit time.Duration) {
	t.Helper()
	dir := filepath.Join(lab.dir, "tls")
	certs, err := tlsca.Load(tlsca.Files{CA: dir + "/ca.pem", Cert: dir + "/" + n.name + ".pem", Key: dir + "/" + n.name + "-key.pem"}, n.name)
	if err != nil {
		t.Fatal(err)
	}
	client := cluster.NewClient(certs.ClientConfig)
	deadline := time.Now().Add(limit)
	for {
		var seen []string
		ok := true
		for _, m := range lab.nodes {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, err := client.Status(ctx, fmt.Sprintf("%s:%d", m.ip, lab.ports[2]))
			cancel()
			if err != nil {
				ok = false
				seen = append(seen, fmt.Sprintf("%s: %v", m.name, err))
				continue
			}
			seen = append(seen, fmt.Sprintf("%s speaks %d, cluster version %d", m.name, st.Version(), st.ClusterVersion))
			// A node of the old build decides no cluster version (0).
			if st.Version() == state.ProtocolVersion && st.ClusterVersion != want {
				ok = false
			}
		}
		if ok {
			t.Logf("versions: %s", strings.Join(seen, "; "))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster version %d not reached within %s: %s", want, limit, strings.Join(seen, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// queries asks every node for api.example.test every 50 ms (20 a second)
// and counts the outcomes. A node is skipped while it is down (from its
// stop until its new process first answers); the SERVFAILs it answers
// after its start, while it holds until caught up, are counted apart and
// are not failures: holding is how a starting node tells resolvers to ask
// another nameserver (it is not yet ready, as a stopped one is not), and
// systemd is told READY only after it. From its first good answer on,
// every query must be NOERROR with an expected address.
type queries struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	want   atomic.Pointer[[]netip.Addr]
	mu     sync.Mutex
	phase  map[string]string // "down", "starting" or "serving"
	s      queryStats
}

// queryStats counts one step's queries.
type queryStats struct {
	sent, ok, failed, holding, skipped int
	failures                           []string
}

func (s queryStats) String() string {
	return fmt.Sprintf("%d queries sent, %d answered as expected, %d failed, %d SERVFAIL while a started node held, %d skipped while it was down",
		s.sent, s.ok, s.failed, s.holding, s.skipped)
}

func startQueries(nodes []*labNode, want ...string) *queries {
	ctx, cancel := context.WithCancel(context.Background())
	q := &queries{cancel: cancel, phase: map[string]string{}}
	q.expect(want...)
	for _, n := range nodes {
		q.phase[n.name] = "serving"
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				q.ask(ctx, n)
			}
		}()
	}
	return q
}

func (q *queries) expect(ips ...string) {
	var addrs []netip.Addr
	for _, ip := range ips {
		addrs = append(addrs, netip.MustParseAddr(ip))
	}
	q.want.Store(&addrs)
}

// ask sends one query to n and counts its outcome.
func (q *queries) ask(ctx context.Context, n *labNode) {
	q.mu.Lock()
	phase := q.phase[n.name]
	if phase == "down" {
		q.s.skipped++
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	want := *q.want.Load()
	a := shiftwatch.Ask(ctx, n.dnsAddr, shiftwatch.Query{Name: apiName, Timeout: time.Second})
	good := a.Kind == shiftwatch.Answered && len(a.Addrs) == 1 && slices.Contains(want, a.Addrs[0])
	q.mu.Lock()
	defer q.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	phase = q.phase[n.name] // it may have changed while the query was out
	switch {
	case phase == "down":
		q.s.skipped++
	case good:
		q.s.sent++
		q.s.ok++
		q.phase[n.name] = "serving"
	case phase == "starting" && a.Kind == shiftwatch.ServFail:
		q.s.sent++
		q.s.holding++
	case phase == "starting" && (a.Kind == shiftwatch.Timeout || a.Kind == shiftwatch.Failed):
		q.s.skipped++ // not listening yet: still down
	default:
		q.s.sent++
		q.s.failed++
		if len(q.s.failures) < 10 {
			q.s.failures = append(q.s.failures, fmt.Sprintf("%s %s: %s (want one of %v)", n.name, time.Now().Format("15:04:05.000"), a, want))
		}
	}
}

func (q *queries) setPhase(name, phase string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.phase[name] = phase
}

func (q *queries) down(name string)     { q.setPhase(name, "down") }
func (q *queries) starting(name string) { q.setPhase(name, "starting") }

// waitServing waits until the node's first good answer after its start.
func (q *queries) waitServing(t *testing.T, name string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		q.mu.Lock()
		phase := q.phase[name]
		q.mu.Unlock()
		if phase == "serving" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer as expected within %s of its start", name, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// take returns the counts since the last take and starts over.
func (q *queries) take() queryStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.s
	q.s = queryStats{}
	return s
}

func (q *queries) stop() {
	q.cancel()
	q.wg.Wait()
}

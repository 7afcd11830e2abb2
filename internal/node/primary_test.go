package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlast/internal/shiftwatch"
	"outlast/internal/wire"
)

// The role servers of the primary tests, one loopback address each: a DNS
// answer carries no port.
const (
	roleA = "127.0.0.51"
	roleB = "127.0.0.52"
)

// roleServer is an endpoint of a primary service: its check path answers
// 200 while it claims (follow mode: the role; elect mode: it is alive),
// 503 otherwise.
type roleServer struct{ claims atomic.Bool }

func startRoleServer(t *testing.T, addr string, claims bool) *roleServer {
	t.Helper()
	r := &roleServer{}
	r.claims.Store(claims)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !r.claims.Load() {
			http.Error(w, "not primary", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "primary")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// rolePort is a port free on both role addresses.
func rolePort(t *testing.T) int { return freePortOn(t, roleA, roleB) }

// dbService is db.example.test of policy primary over the two role
// servers; primary is its primary: section, endpoints what each endpoint
// adds (hooks).
func dbService(port int, primary, hooksA, hooksB string) string {
	return fmt.Sprintf(`services:
  - name: db.example.test
    ttl: 1s
    policy: primary
    primary: %s
    check: {type: http, port: %d, interval: 200ms, timeout: 150ms, fall: 2, rise: 2, http: {path: /primary}}
    endpoints:
      - {name: db-a, location: aws/us-east-1, addresses: [%s], priority: 1%s}
      - {name: db-b, location: gcp/us-central1, addresses: [%s], priority: 2%s}
`, primary, port, roleA, hooksA, roleB, hooksB)
}

// dbWatch asks the node for db.example.test every 20 ms and keeps the
// sequence of distinct answers it saw, and any answer of more than one
// address.
type dbWatch struct {
	mu       sync.Mutex
	seq      []string
	multiple []string
	stop     func()
}

func watchDB(t *testing.T, n *Node) *dbWatch {
	w := &dbWatch{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			a := shiftwatch.Ask(ctx, n.DNSAddr().String(), shiftwatch.Query{Name: "db.example.test."})
			if a.Kind == shiftwatch.Answered {
				w.record(a.Addrs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	w.stop = func() { cancel(); <-done }
	t.Cleanup(w.stop)
	return w
}

func (w *dbWatch) record(addrs []netip.Addr) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for _, a := range addrs {
		parts = append(parts, a.String())
	}
	got := strings.Join(parts, " ")
	if len(addrs) > 1 {
		w.multiple = append(w.multiple, got)
	}
	if len(w.seq) == 0 || w.seq[len(w.seq)-1] != got {
		w.seq = append(w.seq, got)
	}
}

func (w *dbWatch) seen() (seq, multiple []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seq), slices.Clone(w.multiple)
}

// primaries is the node's GET /api/v1/primaries, for the one service.
func primaryRecord(t *testing.T, n *Node, token string) wire.Primary {
	t.Helper()
	ps, err := wire.NewClient(n.HTTPAddr().String(), token).Primaries(t.Context())
	if err != nil || len(ps) != 1 {
		t.Fatalf("GET /api/v1/primaries: %v, %d services", err, len(ps))
	}
	return ps[0]
}

// TestFollowSplitBrain: a service that follows a role elected elsewhere
// answers the one endpoint whose role check passes; while both claim the
// role, it keeps the last agreed one and says so (held, an event), never
// answering both and never flipping between them.
func TestFollowSplitBrain(t *testing.T) {
	port := rolePort(t)
	a, b := startRoleServer(t, roleA+fmt.Sprint(":", port), true), startRoleServer(t, roleB+fmt.Sprint(":", port), false)
	n := startNode(t, parseConfig(t, "follow.yaml", nodeHeader+dbService(port, "{mode: follow}", "", "")))
	waitForQuery(t, n, "db.example.test.", roleA, 15*time.Second)
	w := watchDB(t, n)

	both := func(hold time.Duration) {
		t.Helper()
		b.claims.Store(true)
		a.claims.Store(true)
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(primaryRecord(t, n, "").Held, "split brain") {
			if time.Now().After(deadline) {
				t.Fatalf("both claim the role for 15 s, and the record does not say split brain: %+v", primaryRecord(t, n, ""))
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(hold)
	}
	both(2 * time.Second)
	if p := primaryRecord(t, n, ""); p.Primary != "db-a" || !slices.Equal(p.Claimants, []string{"db-a", "db-b"}) {
		t.Fatalf("during the split brain the record is %+v; want db-a kept, both named as claimants", p)
	}
	a.claims.Store(false) // the role settles on b
	waitForQuery(t, n, "db.example.test.", roleB, 15*time.Second)
	both(2 * time.Second) // a claims again: b is kept
	b.claims.Store(false)
	waitForQuery(t, n, "db.example.test.", roleA, 15*time.Second)
	time.Sleep(200 * time.Millisecond) // the watch polls every 20 ms: let it see the last answer too
	w.stop()

	seq, multiple := w.seen()
	if len(multiple) > 0 {
		t.Errorf("the name answered more than one endpoint: %v", multiple)
	}
	if want := []string{roleA, roleB, roleA}; !slices.Equal(seq, want) {
		t.Errorf("the answers went %v; want %v: one move each time the role settled, none while two claimed it", seq, want)
	}
	if !eventSaid(t, n, "primary-held", "split brain: db-a and db-b pass the role check at once") {
		t.Error("no primary-held event says split brain")
	}
}

// eventSaid reports whether the node's history has an event of kind whose
// detail contains text.
func eventSaid(t *testing.T, n *Node, kind, text string) bool {
	t.Helper()
	return slices.ContainsFunc(events(t, n), func(e wire.Event) bool { return e.Kind == kind && strings.Contains(e.Detail, text) })
}

// events is the node's whole history.
func events(t *testing.T, n *Node) []wire.Event {
	t.Helper()
	page, err := wire.NewClient(n.HTTPAddr().String(), "").Events(t.Context(), -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// hookRecorder is an HTTP hook endpoint: it records each call's body.
type hookRecorder struct {
	mu    sync.Mutex
	calls []string // "on_promote db-b 2"
	addr  string
}

func startHookRecorder(t *testing.T) *hookRecorder {
	h := &hookRecorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Hook, Endpoint string
			Epoch          uint64
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.calls = append(h.calls, fmt.Sprintf("%s %s %d", body.Hook, body.Endpoint, body.Epoch))
		h.mu.Unlock()
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h
}

func (h *hookRecorder) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// TestGateHoldsFailoverUntilGlassBreaks: with its gate off, the primary
// going down moves nothing (the record and an event say why), nor does an
// operator's ordinary promotion; a break-glass promotion runs the hook,
// moves the name and is recorded with who and why.
func TestGateHoldsFailoverUntilGlassBreaks(t *testing.T) {
	port := rolePort(t)
	a, _ := startRoleServer(t, roleA+fmt.Sprint(":", port), true), startRoleServer(t, roleB+fmt.Sprint(":", port), true)
	hooks := startHookRecorder(t)
	hook := func(kind string) string {
		return fmt.Sprintf(", %s: {url: \"http://%s/%s\", retries: 0}", kind, hooks.addr, kind)
	}
	sum := sha256.Sum256([]byte("alice-secret"))
	text := strings.Replace(nodeHeader, "api: {public_status: true}",
		"api: {public_status: true, tokens: [{name: alice, scope: admin, sha256: "+hex.EncodeToString(sum[:])+"}]}", 1) +
		dbService(port, "{gates: [maint]}", hook("on_promote")+hook("on_demote"), hook("on_promote")+hook("on_demote"))
	n := startNode(t, parseConfig(t, "gate.yaml", text))
	waitForQuery(t, n, "db.example.test.", roleA, 15*time.Second)
	admin := wire.NewClient(n.HTTPAddr().String(), "alice-secret")
	if _, err := admin.SetGate(t.Context(), "maint", wire.GateRequest{On: false, Reason: "database maintenance"}); err != nil {
		t.Fatal(err)
	}

	a.claims.Store(false)
	waitForVerdict(t, n, "db-a", "down", 15*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(primaryRecord(t, n, "").Held, "gate maint") {
		if time.Now().After(deadline) {
			t.Fatalf("db-a down with gate maint off, and the record does not say it is held: %+v", primaryRecord(t, n, ""))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if _, ok := answers(t, n, "db.example.test.", roleA); !ok {
		t.Fatal("the name moved away from db-a while gate maint was off")
	}
	if !eventSaid(t, n, "primary-held", "promote of db-b held: primary: refused by a safety rule: gate maint") {
		t.Error("no primary-held event names gate maint")
	}
	if _, err := admin.SetPrimary(t.Context(), wire.PrimaryRequest{Endpoint: "db-b", Reason: "db-a is gone"}); err == nil || !strings.Contains(err.Error(), "gate maint") {
		t.Fatalf("an ordinary promotion with the gate off: %v; want refused naming gate maint", err)
	}
	if _, err := admin.SetPrimary(t.Context(), wire.PrimaryRequest{Endpoint: "db-b", Reason: "db-a is gone", BreakGlass: true}); err != nil {
		t.Fatalf("break glass: %v", err)
	}
	waitForQuery(t, n, "db.example.test.", roleB, 15*time.Second)
	if !eventBy(t, n, "primary-break-glass", "alice", "db-a is gone") {
		t.Error("no primary-break-glass event by alice saying why")
	}
	want := []string{"on_promote db-a 1", "on_promote db-b 2", "on_demote db-a 2"}
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(hooks.seen(), want); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("hook calls %v, want %v", hooks.seen(), want)
		}
	}
}

// eventBy reports whether the node's history has an event of kind by who
// saying why.
func eventBy(t *testing.T, n *Node, kind, who, why string) bool {
	t.Helper()
	return slices.ContainsFunc(events(t, n), func(e wire.Event) bool { return e.Kind == kind && e.Who == who && e.Why == why })
}

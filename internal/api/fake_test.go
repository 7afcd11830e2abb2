package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)

// The tokens the tests use; the configuration holds only their hashes.
const (
	adminToken = "admin-0123456789abcdef"
	readToken  = "read-0123456789abcdef"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func apiConfig(public bool) config.API {
	return config.API{PublicStatus: public, Tokens: []config.Token{
		{Name: "alice", Scope: config.ScopeAdmin, SHA256: sha(adminToken)},
		{Name: "bob", Scope: config.ScopeRead, SHA256: sha(readToken)},
	}}
}

// configYAML is the cluster's configuration; fileWith varies its services.
const configYAML = `node:
  name: n-aws
  location: aws/us-east-1
zones:
  - apex: example.test
    ns:
      - name: ns1.example.test
        addresses: [192.0.2.53]
services:
  - name: api.example.test
    ttl: 30s
    check:
      type: http
      interval: 1s
    endpoints:
      - name: use1
        location: aws/us-east-1
        addresses: [192.0.2.1]
      - name: usc1
        location: gcp/us-central1
        addresses: [192.0.2.3]
        priority: 2
  - name: www.example.test
    policy: weighted
    check:
      type: tcp
      port: 443
    endpoints:
      - name: cdn-a
        location: fastly/global
        addresses: [198.51.100.1]
        weight: 3
      - name: cdn-b
        location: cloudflare/global
        addresses: [198.51.100.2]
`

func parse(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	return cfg
}

// fakeBackend is a node as the API sees it, over a real state.State that
// only ever changes by applying real commands, as state.Machine does.
type fakeBackend struct {
	mu      sync.Mutex
	st      *state.State
	index   uint64
	local   *config.Config
	obs     map[string]map[string]model.Observation
	answers []model.Answer
	info    wire.NodeInfo
	cluster cluster.Status
	now     time.Time
	// refuse, when set, fails every proposal with it, as a cluster without a leader would.
	refuse error
}

var _ Backend = (*fakeBackend)(nil)

func (f *fakeBackend) State() *state.State { f.mu.Lock(); defer f.mu.Unlock(); return f.st }

func (f *fakeBackend) Config() *config.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.Config == nil {
		return f.local
	}
	c := f.local.WithShared(f.st.Config.Shared)
	c.Hash = f.st.Config.Hash
	return c
}

func (f *fakeBackend) Answers() []model.Answer { f.mu.Lock(); defer f.mu.Unlock(); return f.answers }
func (f *fakeBackend) Cluster() cluster.Status { f.mu.Lock(); defer f.mu.Unlock(); return f.cluster }
func (f *fakeBackend) Info() wire.NodeInfo     { f.mu.Lock(); defer f.mu.Unlock(); return f.info }
func (f *fakeBackend) Now() time.Time          { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeBackend) Observations(context.Context) map[string]map[string]model.Observation {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]map[string]model.Observation, len(f.obs))
	for v, m := range f.obs {
		out[v] = maps.Clone(m)
	}
	return out
}

// Propose applies the command to a copy and publishes it, returning the
// state machine's refusal as the node does.
func (f *fakeBackend) Propose(_ context.Context, cmd state.Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		return f.refuse
	}
	next := f.st.Clone()
	f.index++
	err := next.Apply(f.index, cmd)
	f.st = next
	if err != nil {
		return fmt.Errorf("node: proposal refused: %w", err)
	}
	return nil
}

// apply applies commands that must succeed.
func (f *fakeBackend) apply(t testing.TB, cmds ...state.Command) {
	t.Helper()
	for _, cmd := range cmds {
		if err := f.Propose(context.Background(), cmd); err != nil {
			t.Fatalf("applying %s: %v", cmd.Kind, err)
		}
	}
}

func (f *fakeBackend) observe(vantage, endpoint string, at time.Time, r model.Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.obs[vantage] == nil {
		f.obs[vantage] = map[string]model.Observation{}
	}
	f.obs[vantage][endpoint] = model.Observation{Vantage: vantage, Endpoint: endpoint, At: at, Result: r}
}

func loc(s string) model.Location {
	l, err := model.ParseLocation(s)
	if err != nil {
		panic(err)
	}
	return l
}

var members = []state.Member{
	{Name: "n-aws", Address: "10.0.1.1:7000", Location: loc("aws/us-east-1")},
	{Name: "n-gcp", Address: "10.0.2.1:7000", Location: loc("gcp/us-central1")},
	{Name: "n-azure", Address: "10.0.3.1:7000", Location: loc("azure/westeurope")},
}

// sample is a follower of a three-node cluster during the 2021 us-east-1
// outage: use1 is down by quorum, the others up.
func sample(t testing.TB) *fakeBackend {
	cfg := parse(t, configYAML)
	f := &fakeBackend{st: state.New(), local: cfg, obs: map[string]map[string]model.Observation{}, now: t0,
		info: wire.NodeInfo{Name: "n-aws", Location: loc("aws/us-east-1"), Version: "v0.5.0-test", Started: t0.Add(-time.Hour)}}
	shared := cfg.Shared()
	f.apply(t, state.Command{Kind: state.SetConfig, At: t0.Add(-time.Hour), Who: "carol", Why: "first", Config: &shared, ConfigHash: cfg.Hash})
	for i := range members {
		f.apply(t, state.Command{Kind: state.SetMember, At: t0.Add(-time.Hour), Member: &members[i]})
	}
	f.apply(t,
		verdictCmd(t0.Add(-2*time.Minute), "usc1", model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-a", model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-b", model.Up),
		verdictCmd(t0.Add(-20*time.Second), "use1", model.Down))
	// n-aws and n-gcp still report; n-azure's latest is the verdict's evidence.
	for _, v := range []string{"n-aws", "n-gcp"} {
		f.observe(v, "use1", t0.Add(-700*time.Millisecond), model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "no response within 1s"})
		f.observe(v, "usc1", t0.Add(-400*time.Millisecond), model.Result{Up: true, Latency: 12500 * time.Microsecond, Reason: model.ReasonOK})
	}
	f.answers = []model.Answer{
		{Name: "api.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.3")}},
		{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
			{Endpoint: "cdn-a", Weight: 3, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}},
			{Endpoint: "cdn-b", Weight: 1, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.2")}}}},
	}
	f.cluster = cluster.Status{ID: "n-aws", Address: "10.0.1.1:7000", State: "Follower", LeaderID: "n-gcp",
		LeaderAddress: "10.0.2.1:7000", Term: 4, AppliedIndex: f.index, CommitIndex: f.index, LastContact: t0.Add(-80 * time.Millisecond),
		Members: []cluster.Member{
			{ID: "n-aws", Address: "10.0.1.1:7000", Suffrage: "Voter"},
			{ID: "n-gcp", Address: "10.0.2.1:7000", Suffrage: "Voter", Leader: true},
			{ID: "n-azure", Address: "10.0.3.1:7000", Suffrage: "Voter"},
		}}
	return f
}

// verdictCmd is a verdict on endpoint with every member's evidence agreeing.
func verdictCmd(at time.Time, endpoint string, h model.Health) state.Command {
	v := model.Verdict{Endpoint: endpoint, Health: h, Since: at, Voters: len(members)}
	for _, m := range members {
		r := model.Result{Up: true, Latency: 9 * time.Millisecond, Reason: model.ReasonOK}
		if h == model.Down {
			r = model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "timeout"}
			v.DownVotes++
		} else {
			v.UpVotes++
		}
		v.Evidence = append(v.Evidence, model.Evidence{Vantage: m.Name, Location: m.Location, State: h, Last: r, At: at, Fresh: true})
	}
	return state.Command{Kind: state.SetVerdicts, At: at, Who: "n-gcp", Verdicts: []model.Verdict{v}}
}

// server runs the API of f on loopback; logs collects what it logged.
type server struct {
	*httptest.Server
	f    *fakeBackend
	logs *syncBuffer
}

func serve(t testing.TB, f *fakeBackend, public bool) *server {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(New(f, apiConfig(public), logger))
	t.Cleanup(func() {
		srv.Close()
		if bytes.Contains(logs.Bytes(), []byte(adminToken)) || bytes.Contains(logs.Bytes(), []byte(readToken)) {
			t.Errorf("the API logged a token:\n%s", logs.Bytes())
		}
	})
	return &server{Server: srv, f: f, logs: logs}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"outlast/internal/api/apitest"
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
func sample(t testing.TB) *apitest.Backend {
	f := apitest.New(parse(t, configYAML), apitest.Settings{Now: t0,
		Info: wire.NodeInfo{Name: "n-aws", Location: loc("aws/us-east-1"), Version: "v0.5.0-test", Started: t0.Add(-time.Hour)}})
	shared := f.Config().Shared()
	f.Apply(t, state.Command{Kind: state.SetConfig, At: t0.Add(-time.Hour), Who: "carol", Why: "first", Config: &shared, ConfigHash: f.Config().Hash})
	for i := range members {
		f.Apply(t, state.Command{Kind: state.SetMember, At: t0.Add(-time.Hour), Member: &members[i]})
	}
	f.Apply(t,
		verdictCmd(t0.Add(-2*time.Minute), "usc1", model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-a", model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-b", model.Up),
		verdictCmd(t0.Add(-20*time.Second), "use1", model.Down))
	// n-aws and n-gcp still report; n-azure's latest is the verdict's evidence.
	for _, v := range []string{"n-aws", "n-gcp"} {
		f.Observe(v, "use1", t0.Add(-700*time.Millisecond), model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "no response within 1s"})
		f.Observe(v, "usc1", t0.Add(-400*time.Millisecond), model.Result{Up: true, Latency: 12500 * time.Microsecond, Reason: model.ReasonOK})
	}
	index := f.Index()
	f.Update(func(s *apitest.Settings) {
		s.Answers = []model.Answer{
			{Name: "api.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.3")}},
			{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
				{Endpoint: "cdn-a", Weight: 3, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}},
				{Endpoint: "cdn-b", Weight: 1, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.2")}}}},
		}
		s.Cluster = wire.ClusterInfo{State: "Follower", Leader: "n-gcp", LeaderAddress: "10.0.2.1:7000", Term: 4,
			AppliedIndex: index, CommitIndex: index, LastContact: t0.Add(-80 * time.Millisecond),
			Members: []wire.MemberInfo{
				{Name: "n-aws", Address: "10.0.1.1:7000", Suffrage: "Voter"},
				{Name: "n-gcp", Address: "10.0.2.1:7000", Suffrage: "Voter", Leader: true},
				{Name: "n-azure", Address: "10.0.3.1:7000", Suffrage: "Voter"},
			}}
	})
	return f
}

// fileHash is the hash of the sample node's own file.
func fileHash(t testing.TB) string { return parse(t, configYAML).Hash }

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
	f    *apitest.Backend
	logs *syncBuffer
}

func serve(t testing.TB, f *apitest.Backend, public bool) *server {
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

var _ Backend = (*apitest.Backend)(nil)

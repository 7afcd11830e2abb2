package api

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/internal/api/apitest"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

func TestStatus(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Info.Stale = true })
	s := serve(t, f, false)
	var got wire.Status
	call(t, s, "GET", "/api/v1/status", readToken, "").decode(t, 200, &got)
	if got.Node.Name != "n-aws" || got.Node.Location != loc("aws/us-east-1") || got.Node.Version != "v0.5.0-test" || !got.Node.Stale {
		t.Errorf("node %+v, want n-aws in aws/us-east-1, v0.5.0-test, stale", got.Node)
	}
	c := got.Cluster
	if c.State != "Follower" || c.Leader != "n-gcp" || c.Term != 4 || c.AppliedIndex != f.Index() || !c.Stale {
		t.Errorf("cluster %+v, want a stale follower of n-gcp in term 4 at index %d", c, f.Index())
	}
	if c.LastContactAgeS != 0.08 || !c.LastContact.Equal(t0.Add(-80*time.Millisecond)) {
		t.Errorf("last contact %v (%.3f s ago), want 80 ms before %v", c.LastContact, c.LastContactAgeS, t0)
	}
	var names []string
	for _, m := range c.Members {
		names = append(names, fmt.Sprintf("%s@%s leader=%v self=%v", m.Name, m.Location, m.Leader, m.Self))
	}
	want := []string{"n-aws@aws/us-east-1 leader=false self=true",
		"n-azure@azure/westeurope leader=false self=false", "n-gcp@gcp/us-central1 leader=true self=false"}
	if !slices.Equal(names, want) {
		t.Errorf("members\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if got.Config.Version != 1 || got.Config.Hash != fileHash(t) || got.Config.AppliedBy != "carol" {
		t.Errorf("config %+v, want version 1, hash %s, applied by carol", got.Config, fileHash(t))
	}
}

// A node on its own has no Raft members; its vantage points come from the state.
func TestStatusWithoutRaft(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Cluster = wire.ClusterInfo{} })
	s := serve(t, f, true)
	var got wire.Status
	call(t, s, "GET", "/api/v1/status", "", "").decode(t, 200, &got)
	if len(got.Cluster.Members) != 3 || got.Cluster.AppliedIndex != f.Index() {
		t.Errorf("cluster %+v, want the state's three members at index %d", got.Cluster, f.Index())
	}
}

func TestServices(t *testing.T) {
	f := sample(t)
	f.Apply(t, state.Command{Kind: state.SetOverride, At: t0.Add(-time.Minute), Who: "alice", Why: "flaky",
		Override: &state.Override{Endpoint: "usc1", Kind: state.ForceDown, Expires: t0.Add(time.Hour)}})
	s := serve(t, f, false)
	var got struct{ Services []wire.Service }
	call(t, s, "GET", "/api/v1/services", readToken, "").decode(t, 200, &got)
	if len(got.Services) != 2 {
		t.Fatalf("%d services, want 2", len(got.Services))
	}
	api := got.Services[0]
	if api.Name != "api.example.test." || api.Type != model.TypeA || api.TTL != 30 || api.Policy != "failover" || api.WhenAllDown != "serve-all" {
		t.Errorf("service %+v", api)
	}
	use1, usc1 := api.Endpoints[0], api.Endpoints[1]
	if use1.Health != "down" || use1.Verdict != "down" || use1.Votes != (wire.Votes{Down: 3, Voters: 3}) || !use1.Since.Equal(t0.Add(-20*time.Second)) {
		t.Errorf("use1 %+v, want down by 3 of 3 since 20 s ago", use1)
	}
	if use1.Addresses[0] != netip.MustParseAddr("192.0.2.1") || use1.Priority != 1 || use1.Weight != 1 || use1.Override != nil {
		t.Errorf("use1 configuration %+v", use1)
	}
	// n-aws and n-gcp have newer observations; n-azure only the verdict's evidence, too old to vote.
	var ev []string
	for _, e := range use1.Evidence {
		ev = append(ev, fmt.Sprintf("%s %s state=%s up=%v %s %q %.1fms age=%.1f fresh=%v",
			e.Vantage, e.Location, e.State, e.Up, e.Reason, e.Detail, e.LatencyMS, e.AgeS, e.Fresh))
	}
	want := []string{
		`n-aws aws/us-east-1 state=down up=false timeout "no response within 1s" 1000.0ms age=0.7 fresh=true`,
		`n-azure azure/westeurope state=down up=false timeout "timeout" 1000.0ms age=20.0 fresh=false`,
		`n-gcp gcp/us-central1 state=down up=false timeout "no response within 1s" 1000.0ms age=0.7 fresh=true`,
	}
	if !slices.Equal(ev, want) {
		t.Errorf("use1 evidence\n%s\nwant\n%s", strings.Join(ev, "\n"), strings.Join(want, "\n"))
	}
	if usc1.Health != "down" || usc1.Verdict != "up" || usc1.Override == nil || usc1.Override.Who != "alice" || usc1.Override.Why != "flaky" {
		t.Errorf("usc1 %+v override %+v, want forced down by alice (flaky) over an up verdict", usc1, usc1.Override)
	}
	if e := usc1.Evidence[0]; e.LatencyMS != 12.5 || !e.Up {
		t.Errorf("usc1 evidence from n-aws %+v, want the observation: up in 12.5 ms", e)
	}
	if w := got.Services[1].Endpoints[0]; w.Weight != 3 || w.Location != loc("fastly/global") {
		t.Errorf("cdn-a %+v, want weight 3 in fastly/global", w)
	}
}

func TestServiceByName(t *testing.T) {
	s := serve(t, sample(t), false)
	for _, name := range []string{"api.example.test", "api.example.test.", "API.Example.Test"} {
		var got wire.Service
		call(t, s, "GET", "/api/v1/services/"+name, readToken, "").decode(t, 200, &got)
		if got.Name != "api.example.test." || len(got.Endpoints) != 2 {
			t.Errorf("%s: got %+v", name, got)
		}
	}
	call(t, s, "GET", "/api/v1/services/nothing.example.test", readToken, "").wantError(t, 404, wire.CodeUnknownService)
}

func TestAnswers(t *testing.T) {
	s := serve(t, sample(t), false)
	var got struct{ Answers []wire.Answer }
	call(t, s, "GET", "/api/v1/answers", readToken, "").decode(t, 200, &got)
	if len(got.Answers) != 2 {
		t.Fatalf("%d answers, want 2", len(got.Answers))
	}
	a, w := got.Answers[0], got.Answers[1]
	if a.Name != "api.example.test." || a.TTL != 30 || a.Mode != model.ModeHealthy || len(a.Addresses) != 1 || a.Pools != nil {
		t.Errorf("fixed answer %+v", a)
	}
	if len(w.Pools) != 2 || w.Pools[0].Endpoint != "cdn-a" || w.Pools[0].Weight != 3 || w.Pools[1].Addresses[0] != netip.MustParseAddr("198.51.100.2") {
		t.Errorf("weighted answer %+v", w)
	}
}

func TestOverrideLifecycle(t *testing.T) {
	f := sample(t)
	s := serve(t, f, false)
	var created wire.Override
	call(t, s, "POST", "/api/v1/overrides", adminToken,
		`{"endpoint":"use1","kind":"drain","reason":"us-east-1 outage","for":"30m"}`).decode(t, 201, &created)
	if created.Who != "alice" || created.Why != "us-east-1 outage" || !created.Expires.Equal(t0.Add(30*time.Minute)) || !created.Active {
		t.Errorf("created %+v, want alice's drain until 30 min from now", created)
	}
	if o := f.State().Overrides["use1"]; o.Who != "alice" || o.Why != "us-east-1 outage" || o.Kind != state.Drain {
		t.Errorf("state holds %+v, want alice's drain with her reason", o)
	}
	var list struct{ Overrides []wire.Override }
	call(t, s, "GET", "/api/v1/overrides", readToken, "").decode(t, 200, &list)
	if len(list.Overrides) != 1 || list.Overrides[0] != created {
		t.Errorf("overrides %+v, want just %+v", list.Overrides, created)
	}
	var cleared wire.Override
	call(t, s, "DELETE", "/api/v1/overrides/use1?reason=region+back", adminToken, "").decode(t, 200, &cleared)
	if cleared.Kind != state.Drain || cleared.Who != "alice" {
		t.Errorf("cleared %+v, want alice's drain", cleared)
	}
	events := f.State().Events
	last2 := events[len(events)-2:]
	if last2[0].Kind != "drain" || last2[0].Who != "alice" || last2[0].Why != "us-east-1 outage" ||
		last2[1].Kind != "clear-drain" || last2[1].Who != "alice" || last2[1].Why != "region back" {
		t.Errorf("history ends %+v, want the drain and its clearing with who and why", last2)
	}
	call(t, s, "DELETE", "/api/v1/overrides/use1?reason=again", adminToken, "").wantError(t, 404, wire.CodeNoOverride)
	call(t, s, "DELETE", "/api/v1/overrides/nowhere?reason=x", adminToken, "").wantError(t, 404, wire.CodeUnknownEndpoint)
	if !strings.Contains(string(s.logs.Bytes()), "who=alice") {
		t.Errorf("writes are not logged with who:\n%s", s.logs.Bytes())
	}
}

func TestOverrideRefusals(t *testing.T) {
	s := serve(t, sample(t), false)
	cases := map[string]struct {
		body   string
		status int
		code   string
	}{
		"unknown endpoint": {`{"endpoint":"nowhere","kind":"drain","reason":"x"}`, 404, wire.CodeUnknownEndpoint},
		"bad kind":         {`{"endpoint":"use1","kind":"promote","reason":"x"}`, 400, wire.CodeBadRequest},
		"no reason":        {`{"endpoint":"use1","kind":"drain","reason":"  "}`, 400, wire.CodeBadRequest},
		"no endpoint":      {`{"kind":"drain","reason":"x"}`, 400, wire.CodeBadRequest},
		"bad duration":     {`{"endpoint":"use1","kind":"drain","reason":"x","for":"soon"}`, 400, wire.CodeBadRequest},
		"negative for":     {`{"endpoint":"use1","kind":"drain","reason":"x","for":"-5m"}`, 400, wire.CodeBadRequest},
		"unknown field":    {`{"endpoint":"use1","kind":"drain","reason":"x","ttl":"5m"}`, 400, wire.CodeBadRequest},
		"not JSON":         {`drain use1`, 400, wire.CodeBadRequest},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			call(t, s, "POST", "/api/v1/overrides", adminToken, tc.body).wantError(t, tc.status, tc.code)
		})
	}
	call(t, s, "DELETE", "/api/v1/overrides/use1", adminToken, "").wantError(t, 400, wire.CodeBadRequest)
}

func TestProposalErrors(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{errors.New("cluster: no leader"), 503, wire.CodeUnavailable},
		{fmt.Errorf("node: refused: %w", state.ErrVersionConflict), 409, wire.CodeVersionConflict},
		{fmt.Errorf("node: refused: %w", state.ErrInvalid), 400, wire.CodeBadRequest},
		{fmt.Errorf("node: refused: %w", state.ErrUnknownEndpoint), 404, wire.CodeUnknownEndpoint},
	}
	for _, tc := range cases {
		f := sample(t)
		f.Update(func(s *apitest.Settings) { s.Refuse = tc.err })
		s := serve(t, f, false)
		e := call(t, s, "POST", "/api/v1/overrides", adminToken, overrideBody).wantError(t, tc.status, tc.code)
		if e.Error != tc.err.Error() {
			t.Errorf("message %q, want the backend's %q", e.Error, tc.err)
		}
	}
}

func TestEventsPaging(t *testing.T) {
	f := sample(t)
	for i := range 125 { // 250 more events
		f.Apply(t, state.Command{Kind: state.SetOverride, At: t0, Who: "alice", Why: fmt.Sprint("round ", i),
			Override: &state.Override{Endpoint: "cdn-b", Kind: state.Drain}},
			state.Command{Kind: state.ClearOverride, At: t0, Who: "alice", Why: "done", Endpoint: "cdn-b"})
	}
	s := serve(t, f, false)
	total := len(f.State().Events)
	var seqs []uint64
	since, pages := "", 0
	for {
		var page wire.EventPage
		call(t, s, "GET", "/api/v1/events?limit=100"+since, readToken, "").decode(t, 200, &page)
		pages++
		for _, e := range page.Events {
			seqs = append(seqs, e.Seq)
		}
		if !page.More {
			break
		}
		if len(page.Events) != 100 || page.Next != int64(page.Events[99].Seq) {
			t.Fatalf("a full page has %d events and next %d", len(page.Events), page.Next)
		}
		since = fmt.Sprint("&since=", page.Next)
	}
	if pages != (total+99)/100 || len(seqs) != total || !slices.IsSorted(seqs) || seqs[0] != 0 {
		t.Errorf("%d pages of %d events from seq %d, want all %d in order from 0", pages, len(seqs), seqs[0], total)
	}
	var rest wire.EventPage
	call(t, s, "GET", fmt.Sprint("/api/v1/events?since=", seqs[len(seqs)-3]), readToken, "").decode(t, 200, &rest)
	if len(rest.Events) != 2 || rest.More || rest.Next != int64(seqs[len(seqs)-1]) {
		t.Errorf("after the third last: %+v", rest)
	}
	var none wire.EventPage
	call(t, s, "GET", fmt.Sprint("/api/v1/events?since=", seqs[len(seqs)-1]), readToken, "").decode(t, 200, &none)
	if len(none.Events) != 0 || none.Next != int64(seqs[len(seqs)-1]) {
		t.Errorf("past the end: %+v, want no events and the same cursor", none)
	}
	var big wire.EventPage
	call(t, s, "GET", "/api/v1/events?limit=5000", readToken, "").decode(t, 200, &big)
	if len(big.Events) != total {
		t.Errorf("limit 5000 gave %d events, want all %d (capped at 1000)", len(big.Events), total)
	}
	var dflt wire.EventPage
	call(t, s, "GET", "/api/v1/events", readToken, "").decode(t, 200, &dflt)
	if len(dflt.Events) != 100 || !dflt.More {
		t.Errorf("default page has %d events (more %v), want 100 and more", len(dflt.Events), dflt.More)
	}
	for _, q := range []string{"since=x", "since=-2", "limit=0", "limit=many"} {
		call(t, s, "GET", "/api/v1/events?"+q, readToken, "").wantError(t, 400, wire.CodeBadRequest)
	}
}

func TestEventsEmpty(t *testing.T) {
	f := sample(t)
	f.Reset()
	s := serve(t, f, false)
	var page wire.EventPage
	call(t, s, "GET", "/api/v1/events", readToken, "").decode(t, 200, &page)
	if page.Events == nil || len(page.Events) != 0 || page.Next != -1 || page.More {
		t.Errorf("empty history: %+v, want [] and next -1", page)
	}
}

// TestStatusReadiness: the status carries what /healthz used to, readiness
// and the failing store, so no reader of /healthz loses it.
func TestStatusReadiness(t *testing.T) {
	f := sample(t)
	s := serve(t, f, false)
	var got wire.Status
	call(t, s, "GET", "/api/v1/status", readToken, "").decode(t, 200, &got)
	if !got.Ready || len(got.Reasons) != 0 || got.Cluster.PersistError != "" {
		t.Errorf("a healthy node: ready %v, reasons %q, persist error %q; want ready", got.Ready, got.Reasons, got.Cluster.PersistError)
	}
	since := t0.Add(-time.Minute)
	f.Update(func(s *apitest.Settings) {
		s.Reasons = []string{"cannot write the Raft log"}
		s.Cluster.PersistError, s.Cluster.PersistStore, s.Cluster.PersistFailingSince = "log store: no space left on device", "log", since
	})
	got = wire.Status{}
	call(t, s, "GET", "/api/v1/status", readToken, "").decode(t, 200, &got)
	c := got.Cluster
	if got.Ready || !slices.Equal(got.Reasons, []string{"cannot write the Raft log"}) ||
		c.PersistStore != "log" || c.PersistError != "log store: no space left on device" || !c.PersistFailingSince.Equal(since) {
		t.Errorf("a node with a full disk: ready %v, reasons %q, persist %q %q since %v; want not ready with the log store's error",
			got.Ready, got.Reasons, c.PersistStore, c.PersistError, c.PersistFailingSince)
	}
}

// TestAnswersOfAreasAndCNAMEs: a geo service's answers say their area, and
// a CNAME answer its target, fixed or per weighted pool.
func TestAnswersOfAreasAndCNAMEs(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) {
		s.Answers = []model.Answer{
			{Name: "api.example.test.", Area: "europe", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.3")}},
			{Name: "shop.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Target: "shop.cdn-a.test."},
			{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
				{Endpoint: "cdn-a", Weight: 3, Target: "shop.cdn-a.test."}, {Endpoint: "cdn-b", Weight: 1, Target: "shop.cdn-b.test."}}},
		}
	})
	s := serve(t, f, false)
	var got struct{ Answers []wire.Answer }
	call(t, s, "GET", "/api/v1/answers", readToken, "").decode(t, 200, &got)
	if len(got.Answers) != 3 || got.Answers[0].Area != "europe" || got.Answers[1].Target != "shop.cdn-a.test." ||
		len(got.Answers[2].Pools) != 2 || got.Answers[2].Pools[1].Target != "shop.cdn-b.test." {
		t.Errorf("answers %+v; want europe's area, the CNAME's target and each pool's target", got.Answers)
	}
}

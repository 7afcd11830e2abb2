package statuspage

import (
	"net/netip"
	"testing"
	"time"

	"outlast/internal/api/apitest"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

var t0 = time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)

// newFake is apitest's double of a node as this package's tests start it.
func newFake() *apitest.Backend {
	return apitest.New(nil, apitest.Settings{Now: t0,
		Info: wire.NodeInfo{Name: "n-aws", Location: loc("aws/us-east-1"), Version: "v0.5.0-test", Started: t0.Add(-time.Hour)}})
}

func loc(s string) model.Location {
	l, err := model.ParseLocation(s)
	if err != nil {
		panic(err)
	}
	return l
}

func endpoint(name, location string, priority int, addr string) config.Endpoint {
	w := uint32(1)
	a := netip.MustParseAddr(addr)
	return config.Endpoint{Name: name, Location: loc(location), Addresses: []netip.Addr{a}, ProbeAddress: a,
		Priority: priority, Weight: &w}
}

// hostEndpoint is an endpoint named by a target hostname, as config's
// defaults leave it: no addresses, no probe address, the target canonical.
func hostEndpoint(name, location string, priority int, target string) config.Endpoint {
	w := uint32(1)
	return config.Endpoint{Name: name, Location: loc(location), Target: target, Priority: priority, Weight: &w}
}

func service(name string, policy config.Policy, endpoints ...config.Endpoint) config.Service {
	return config.Service{Name: name, Type: model.TypeA, TTL: 30 * time.Second, Policy: policy, MaxAnswers: 8,
		WhenAllDown: config.AllDownServeAll, Endpoints: endpoints,
		Check: config.Check{Type: config.CheckHTTP, Port: 80, Interval: time.Second, Timeout: time.Second, Fall: 3, Rise: 2,
			HTTP: config.HTTPCheck{Method: "GET", Path: "/healthz", ExpectStatus: config.StatusRange{Min: 200, Max: 399}}}}
}

// members are three vantage points in three providers.
var members = []state.Member{
	{Name: "n-aws", Address: "10.0.1.1:7000", Location: loc("aws/us-east-1")},
	{Name: "n-gcp", Address: "10.0.2.1:7000", Location: loc("gcp/us-central1")},
	{Name: "n-azure", Address: "10.0.3.1:7000", Location: loc("azure/westeurope")},
}

// sample is a cluster in the middle of the 2021 us-east-1 outage: the
// endpoints there are down by quorum, the others are up, and an operator
// has drained the CDN the outage also hurt. The CDNs of www are named by
// hostname and flattened; the first CDN's DNS provider fails too, so this
// node answers its last good addresses (stale) while the second's are
// fresh. The CDNs of cdn are answered as a CNAME. geo answers each client
// area its own: us-east clients moved to gcp, us-west ones (nearest
// order) stay in us-west-2, and clients in no area, or in europe, which
// geo gives no order, get the default by priority.
func sample(t testing.TB) *apitest.Backend {
	f := newFake()
	shared := &config.Shared{Health: config.HealthPolicy{StaleAfter: 3}, Geo: sampleAreas(), Services: []config.Service{
		service("api.example.test.", config.PolicyFailover,
			endpoint("use1", "aws/us-east-1", 1, "192.0.2.1"),
			endpoint("usw2", "aws/us-west-2", 2, "192.0.2.2"),
			endpoint("usc1", "gcp/us-central1", 3, "192.0.2.3")),
		flattened(service("www.example.test.", config.PolicyWeighted,
			hostEndpoint("cdn-a", "fastly/global", 1, "shop.cdn-a.test."),
			hostEndpoint("cdn-b", "cloudflare/global", 1, "shop.cdn-b.test."))),
		geoService(),
		cnamed(service("cdn.example.test.", config.PolicyWeighted,
			hostEndpoint("cdn-c", "fastly/global", 1, "shop.cdn-c.test."),
			hostEndpoint("cdn-d", "cloudflare/global", 1, "shop.cdn-d.test."))),
	}}
	cmds := []state.Command{{Kind: state.SetConfig, At: t0.Add(-time.Hour), Who: "alice", Config: shared, ConfigHash: "c0ffee0123456789"}}
	for i := range members {
		cmds = append(cmds, state.Command{Kind: state.SetMember, At: t0.Add(-time.Hour), Member: &members[i]})
	}
	cmds = append(cmds,
		verdictCmd(t0.Add(-2*time.Minute), "usw2", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "usc1", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-a", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-b", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "geo-usw2", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "geo-usc1", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-c", model.Up, model.Up),
		verdictCmd(t0.Add(-2*time.Minute), "cdn-d", model.Up, model.Up),
		verdictCmd(t0.Add(-20*time.Second), "use1", model.Down, model.Down),
		verdictCmd(t0.Add(-20*time.Second), "geo-use1", model.Down, model.Down),
		state.Command{Kind: state.SetOverride, At: t0.Add(-10 * time.Second), Who: "bob", Why: "CDN errors in EU",
			Override: &state.Override{Endpoint: "cdn-a", Kind: state.Drain, Expires: t0.Add(30 * time.Minute)}},
	)
	f.Apply(t, cmds...)
	for _, m := range members {
		for _, e := range []string{"usw2", "usc1", "cdn-a", "cdn-b", "geo-usw2", "geo-usc1", "cdn-c", "cdn-d"} {
			f.Observe(m.Name, e, t0.Add(-400*time.Millisecond), model.Result{Up: true, Latency: 12 * time.Millisecond, Reason: model.ReasonOK})
		}
		for _, e := range []string{"use1", "geo-use1"} {
			f.Observe(m.Name, e, t0.Add(-700*time.Millisecond),
				model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "no response within 1s"})
		}
	}
	index := f.Index()
	f.Update(func(s *apitest.Settings) {
		s.Answers = []model.Answer{
			{Name: "api.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2")}},
			{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
				{Endpoint: "cdn-b", Weight: 1, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.2")}}}},
		}
		s.Answers = append(s.Answers, sampleGeoAnswers()...)
		s.Answers = append(s.Answers, model.Answer{Name: "cdn.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy,
			Pools: []model.WeightedPool{{Endpoint: "cdn-c", Weight: 1, Target: "shop.cdn-c.test."}, {Endpoint: "cdn-d", Weight: 1, Target: "shop.cdn-d.test."}}})
		s.Resolution = sampleResolution()
		s.AreaQueries = []wire.AreaQueries{{Area: "", Queries: 12}, {Area: "us-east", Queries: 1234}, {Area: "us-west", Queries: 7}}
		s.Cluster = wire.ClusterInfo{State: "Follower", Leader: "n-gcp", LeaderAddress: "10.0.2.1:7000", Term: 4,
			AppliedIndex: index, LastContact: t0.Add(-80 * time.Millisecond),
			Members: []wire.MemberInfo{
				{Name: "n-aws", Address: "10.0.1.1:7000", Suffrage: "Voter"},
				{Name: "n-gcp", Address: "10.0.2.1:7000", Suffrage: "Voter", Leader: true},
				{Name: "n-azure", Address: "10.0.3.1:7000", Suffrage: "Voter"},
			}}
	})
	return f
}

// verdictCmd is a verdict on endpoint with every member's evidence agreeing.
func verdictCmd(at time.Time, endpoint string, h, seenAs model.Health) state.Command {
	v := model.Verdict{Endpoint: endpoint, Health: h, Since: at, Voters: len(members)}
	for _, m := range members {
		r := model.Result{Up: seenAs == model.Up, Latency: 9 * time.Millisecond, Reason: model.ReasonOK}
		if seenAs == model.Down {
			r = model.Result{Latency: time.Second, Reason: model.ReasonTimeout}
			v.DownVotes++
		} else {
			v.UpVotes++
		}
		v.Evidence = append(v.Evidence, model.Evidence{Vantage: m.Name, Location: m.Location, State: seenAs, Last: r, At: at, Fresh: true})
	}
	return state.Command{Kind: state.SetVerdicts, At: at, Who: "n-gcp", Verdicts: []model.Verdict{v}}
}

func flattened(s config.Service) config.Service {
	s.Answer = config.AnswerFlatten
	return s
}

// sampleResolution is the sample node's resolver: shop.cdn-a.test.'s DNS
// has failed for 90 s (its addresses are stale), shop.cdn-b.test. is fresh.
func sampleResolution() []wire.Resolution {
	return []wire.Resolution{
		{Target: "shop.cdn-b.test.", State: "fresh", A: []netip.Addr{netip.MustParseAddr("198.51.100.2")}, TTLS: 42},
		{Target: "shop.cdn-a.test.", State: "stale",
			A:    []netip.Addr{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.11")},
			AAAA: []netip.Addr{netip.MustParseAddr("2001:db8::a")}, TTLS: 30,
			Error: "SERVFAIL from 192.0.2.53:53", FailingSince: t0.Add(-90 * time.Second)},
	}
}

func cnamed(s config.Service) config.Service {
	s.Answer = config.AnswerCNAME
	return s
}

// sampleAreas are the sample's client areas: two by prefix, one by
// continent that the geo service gives no order of its own.
func sampleAreas() config.Geo {
	return config.Geo{Areas: []config.Area{
		{Name: "us-east", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/16")}},
		{Name: "us-west", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.19.0.0/16")}, Center: []float64{37.4, -122.1}},
		{Name: "europe", Continents: []string{"EU"}},
	}}
}

// geoService orders us-east's clients by hand (its locations in the east
// first; us-west-2 then follows by priority) and us-west's by distance, as
// load fills a nearest order in.
func geoService() config.Service {
	s := service("geo.example.test.", config.PolicyGeo,
		endpoint("geo-use1", "aws/us-east-1", 1, "192.0.2.11"),
		endpoint("geo-usw2", "aws/us-west-2", 2, "192.0.2.12"),
		endpoint("geo-usc1", "gcp/us-central1", 3, "192.0.2.13"))
	s.Geo = config.ServiceGeo{Areas: []config.AreaOrder{
		{Area: "us-east", Order: []model.Location{loc("aws/us-east-1"), loc("gcp/us-central1")}},
		{Area: "us-west", Nearest: true, Order: []model.Location{loc("aws/us-west-2"), loc("gcp/us-central1"), loc("aws/us-east-1")}},
	}}
	return s
}

// sampleGeoAnswers are what steer answers geoService's areas while
// geo-use1 is down, in steer's order: clients in no area first.
func sampleGeoAnswers() []model.Answer {
	a := func(area, addr string) model.Answer {
		return model.Answer{Name: "geo.example.test.", Area: area, Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy,
			Addrs: []netip.Addr{netip.MustParseAddr(addr)}}
	}
	return []model.Answer{a("", "192.0.2.12"), a("us-east", "192.0.2.13"), a("us-west", "192.0.2.12")}
}

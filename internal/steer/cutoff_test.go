package steer

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/config"
	"outlast/internal/model"
)

func TestCutOff(t *testing.T) {
	svc := config.Service{Name: "api.example.test.", Type: model.TypeA, TTL: 5 * time.Second, Policy: config.PolicyFailover,
		MaxAnswers: 8, WhenAllDown: config.AllDownServeAll, Endpoints: []config.Endpoint{
			{Name: "primary", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Priority: 1},
			{Name: "secondary", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2")}, Priority: 2},
		}}
	h := func(primary, secondary model.Health) func(string) model.Health {
		return FromMap(map[string]model.Health{"primary": primary, "secondary": secondary})
	}
	U, D, X := model.Up, model.Down, model.Unknown
	for _, tc := range []struct {
		name        string
		agreed, own func(string) model.Health
		want        string
	}{
		{"own probes see nothing new", h(U, U), h(X, X), "192.0.2.1"},
		{"own probes see the primary dead before the cluster said so", h(U, U), h(D, U), "192.0.2.2"},
		{"own probes never bring back what the quorum took away", h(D, U), h(U, U), "192.0.2.2"},
		{"own probes see everything dead: its own network, most likely; the agreed answer stands", h(U, U), h(D, D), "192.0.2.1"},
		{"agreed all down: the service's all-down rule, as on any node", h(D, D), h(U, U), "192.0.2.1,192.0.2.2"},
	} {
		a := CutOff([]config.Service{svc}, tc.agreed, tc.own, nil)[0]
		var got []string
		for _, addr := range a.Addrs {
			got = append(got, addr.String())
		}
		if s := strings.Join(got, ","); s != tc.want {
			t.Errorf("%s: answers %s, want %s", tc.name, s, tc.want)
		}
	}
}

// TestCutOffNeverAddsAnEndpoint: whatever a cut-off node's own probes say,
// a healthy answer holds only endpoints the agreed state lets it use; and
// unless its own probes see the whole service down, none they see down.
func TestCutOffNeverAddsAnEndpoint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := genService(t)
		agreed, own := genHealth(t, &svc), genHealth(t, &svc)
		res := genResolution(t, &svc)
		a := CutOff([]config.Service{svc}, FromMap(agreed), FromMap(own), res.resolve)[0]
		checkNeverEmpty(t, &a, &svc, res)
		if a.Mode != model.ModeHealthy {
			return
		}
		checkOnlyUsable(t, &a, &svc, agreed, res)
		ownSeesSome := slices.ContainsFunc(svc.Endpoints, func(e config.Endpoint) bool {
			return !e.Drained && own[e.Name].Usable() && agreed[e.Name].Usable()
		})
		if ownSeesSome {
			checkOnlyUsable(t, &a, &svc, own, res)
		}
	})
}

package steer

import (
	"slices"
	"testing"

	"outlast/internal/config"
	"outlast/internal/model"
)

// TestPrimaryAnswersItsOneEndpointWhateverItsHealth: a primary service
// (which state.Services narrows to its agreed primary, drains cleared)
// answers that endpoint even down, and nothing before an election; the
// proxy's plan holds it alone.
func TestPrimaryAnswersItsOneEndpointWhateverItsHealth(t *testing.T) {
	db := ep("db-b @2", "198.51.100.7")
	svc := service(config.PolicyPrimary, db)
	for _, h := range []string{"db-b=up", "db-b=down", "db-b=unknown"} {
		a := Answer(&svc, health(h), nil)
		if a.Mode != model.ModeHealthy || !slices.Equal(a.Addrs, ips("198.51.100.7")) {
			t.Errorf("%s: answer %v %v, want db-b's address", h, a.Mode, a.Addrs)
		}
		tiers := Ranked(&svc, nil, health(h), nil)
		if len(tiers) != 1 || len(tiers[0]) != 1 || tiers[0][0].Endpoint.Name != "db-b" {
			t.Errorf("%s: proxy tiers %v, want db-b alone", h, tiers)
		}
	}
	none := service(config.PolicyPrimary)
	if a := Answer(&none, health(""), nil); a.Mode != model.ModeEmpty || len(a.Addrs) != 0 {
		t.Errorf("before an election: %v %v, want an empty answer", a.Mode, a.Addrs)
	}
	if tiers := Ranked(&none, nil, health(""), nil); len(tiers) != 0 {
		t.Errorf("before an election the proxy has %v, want nowhere to send", tiers)
	}
}

package drill

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/wire"
)

func ep(name, health string) wire.Endpoint {
	return wire.Endpoint{Name: name, Health: health, Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
}

func with(e wire.Endpoint, f func(*wire.Endpoint)) wire.Endpoint { f(&e); return e }

func override(kind state.OverrideKind, active bool) func(*wire.Endpoint) {
	return func(e *wire.Endpoint) {
		e.Override = &wire.Override{Kind: kind, Who: "bob", Why: "maintenance", Active: active}
	}
}

func TestCheck(t *testing.T) {
	drained := func(e *wire.Endpoint) { e.Drained = true }
	cases := []struct {
		name   string
		others []wire.Endpoint // beside "a", which is up unless target says otherwise
		target *wire.Endpoint
		want   error
	}{
		{"another endpoint is up", []wire.Endpoint{ep("b", "up")}, nil, nil},
		{"one of several others is up", []wire.Endpoint{ep("b", "down"), ep("c", "up")}, nil, nil},
		{"the only endpoint", nil, nil, ErrLastHealthy},
		{"the other is down", []wire.Endpoint{ep("b", "down")}, nil, ErrLastHealthy},
		{"the other has no verdict yet", []wire.Endpoint{ep("b", "unknown")}, nil, ErrLastHealthy},
		{"the other is drained in the configuration", []wire.Endpoint{with(ep("b", "up"), drained)}, nil, ErrLastHealthy},
		{"the other is drained by an override", []wire.Endpoint{with(ep("b", "up"), override(state.Drain, true))}, nil, ErrLastHealthy},
		{"a lapsed drain does not count", []wire.Endpoint{with(ep("b", "up"), override(state.Drain, false))}, nil, nil},
		{"the target is down already", []wire.Endpoint{ep("b", "up")}, new(ep("a", "down")), ErrNotServing},
		{"the target is drained", []wire.Endpoint{ep("b", "up")}, new(with(ep("a", "up"), drained)), ErrNotServing},
		{"the target carries an operator's override", []wire.Endpoint{ep("b", "up")},
			new(with(ep("a", "up"), override(state.ForceUp, true))), ErrHasOverride},
	}
	for _, c := range cases {
		target := ep("a", "up")
		if c.target != nil {
			target = *c.target
		}
		services := []wire.Service{
			{Name: "other.example.test.", Endpoints: []wire.Endpoint{ep("x", "up"), ep("y", "up")}},
			{Name: "api.example.test.", Type: "A", Endpoints: append([]wire.Endpoint{target}, c.others...)},
		}
		plan, err := Check(services, "a")
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if err == nil && (plan.Service != "api.example.test." || plan.Endpoint != "a" || len(plan.Addrs) != 1 || plan.Type != "A") {
			t.Errorf("%s: plan %+v, want endpoint a of api.example.test. with its address", c.name, plan)
		}
	}
	db := []wire.Service{{Name: "db.example.test.", Policy: config.PolicyPrimary, Endpoints: []wire.Endpoint{ep("a", "up"), ep("b", "up")}}}
	if _, err := Check(db, "a"); !errors.Is(err, ErrPrimary) || !strings.Contains(err.Error(), "outlast primary set") {
		t.Errorf("an endpoint of a primary service: %v, want ErrPrimary pointing at outlast primary set", err)
	}
	if _, err := Check(nil, "a"); !errors.Is(err, ErrUnknownEndpoint) {
		t.Errorf("no services: %v, want ErrUnknownEndpoint", err)
	}
}

func TestCheckSaysWhyInWordsTheCLIShows(t *testing.T) {
	_, err := Check([]wire.Service{{Name: "www.example.test.", Endpoints: []wire.Endpoint{ep("www1", "up")}}}, "www1")
	if err == nil || err.Error() != "drill: refusing to remove the last healthy endpoint: www1 is the only healthy endpoint of "+
		"www.example.test; forcing it down would remove the last healthy endpoint" {
		t.Errorf("message: %v", err)
	}
}

package state

import (
	"slices"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Health is an endpoint's effective health at now: a force override in
// force wins over the verdict; without a verdict the endpoint is Unknown.
func (s *State) Health(endpoint string, now time.Time) model.Health {
	if o, ok := s.Overrides[endpoint]; ok && o.Active(now) {
		switch o.Kind {
		case ForceUp:
			return model.Up
		case ForceDown:
			return model.Down
		}
	}
	v, _ := s.Verdicts.Get(endpoint)
	return v.Health
}

// ReturnedAt is when the agreed verdict of endpoint last went from down to
// up, for the gradual return of its traffic; zero when it is not up, was
// found up without having been down, or is held by an override (which an
// operator set on purpose, to take effect at once).
func (s *State) ReturnedAt(endpoint string, now time.Time) time.Time {
	if o, ok := s.Overrides[endpoint]; ok && o.Active(now) {
		return time.Time{}
	}
	v, ok := s.Verdicts.Get(endpoint)
	if !ok || v.Health != model.Up || v.From != model.Down {
		return time.Time{}
	}
	return v.Since
}

// Services returns the configured services with drain overrides in force at
// now applied, and each policy primary service with its one answered
// endpoint (PrimaryOf) alone, ready for steering. It copies what it changes: the
// configuration in the state is never edited.
func (s *State) Services(now time.Time) []config.Service {
	if s.Config == nil {
		return nil
	}
	services := slices.Clone(s.Config.Shared.Services)
	for i := range services {
		svc := &services[i]
		if svc.Policy == config.PolicyPrimary {
			svc.Endpoints = s.answeredPrimary(svc)
			continue
		}
		drained := false
		for _, e := range svc.Endpoints {
			if o, ok := s.Overrides[e.Name]; ok && o.Kind == Drain && o.Active(now) && !e.Drained {
				drained = true
			}
		}
		if !drained {
			continue
		}
		svc.Endpoints = slices.Clone(svc.Endpoints)
		for j := range svc.Endpoints {
			if o, ok := s.Overrides[svc.Endpoints[j].Name]; ok && o.Kind == Drain && o.Active(now) {
				svc.Endpoints[j].Drained = true
			}
		}
	}
	return services
}

// PrimaryOf is the endpoint a policy primary service answers: its agreed
// primary, or with move_dns: at-once the candidate of a pending
// promotion; "" before the first election.
func (s *State) PrimaryOf(svc *config.Service) string {
	rec := s.Primaries[svc.Name]
	if rec.Pending != nil && svc.Primary.MoveDNS == config.MoveAtOnce {
		return rec.Pending.Candidate
	}
	return rec.Primary
}

// answeredPrimary is a primary service's one answered endpoint, or none.
// Neither health nor drains apply: the record alone says who is primary,
// and only a committed command changes it.
func (s *State) answeredPrimary(svc *config.Service) []config.Endpoint {
	name := s.PrimaryOf(svc)
	for _, e := range svc.Endpoints {
		if e.Name == name {
			e.Drained = false
			return []config.Endpoint{e}
		}
	}
	return nil
}

// NextExpiry is the earliest time an override in force lapses, or zero.
// The leader proposes ExpireOverrides then, so the history records it.
func (s *State) NextExpiry() time.Time {
	var next time.Time
	for _, o := range s.Overrides {
		if !o.Expires.IsZero() && (next.IsZero() || o.Expires.Before(next)) {
			next = o.Expires
		}
	}
	return next
}

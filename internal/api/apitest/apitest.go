// Package apitest is the one test double of api.Backend: a node as the API
// and the status page see it, over a real state.State that only ever
// changes by applying real commands, as state.Machine does, and with the
// node's own rule for the configuration it runs (state.EffectiveConfig).
// The api, statuspage and any other tests use it; no production code does.
package apitest

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// Settings are what the double reports besides the agreed state; a test
// changes them with Backend.Update.
type Settings struct {
	Info    wire.NodeInfo
	Cluster wire.ClusterInfo
	// Reasons say why the node is not ready; none means ready.
	Reasons []string
	Answers []model.Answer
	// Resolution is what the node's resolver holds for target hostnames.
	Resolution []wire.Resolution
	// AreaQueries count geo queries by client area.
	AreaQueries []wire.AreaQueries
	// Zones are the zones the node serves, with signing and transfers.
	Zones []wire.ZoneStatus
	// Observations are keyed by vantage, then endpoint.
	Observations map[string]map[string]model.Observation
	Now          time.Time
	// Refuse, when set, fails every proposal with it, as a cluster without
	// a leader would.
	Refuse error
}

// Backend is the double. Its methods are safe for concurrent use.
type Backend struct {
	mu    sync.Mutex
	st    *state.State
	index uint64
	local *config.Config
	set   Settings
}

// New returns a node that runs the file local (an empty configuration when
// nil) and has agreed on nothing yet, with set as its settings.
func New(local *config.Config, set Settings) *Backend {
	if local == nil {
		local = &config.Config{}
	}
	if set.Observations == nil {
		set.Observations = map[string]map[string]model.Observation{}
	}
	return &Backend{st: state.New(), local: local, set: set}
}

// Update changes the settings under the double's lock.
func (b *Backend) Update(fn func(*Settings)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.set)
}

// Apply applies commands that must succeed.
func (b *Backend) Apply(t testing.TB, cmds ...state.Command) {
	t.Helper()
	for _, cmd := range cmds {
		if err := b.apply(cmd); err != nil {
			t.Fatalf("applying %s: %v", cmd.Kind, err)
		}
	}
}

// Reset forgets the agreed state: the node has agreed on nothing yet.
func (b *Backend) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st = state.New()
}

// Index is the log index of the last command applied.
func (b *Backend) Index() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.index
}

// Observe records vantage's latest probe result of endpoint.
func (b *Backend) Observe(vantage, endpoint string, at time.Time, r model.Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byEndpoint := maps.Clone(b.set.Observations[vantage]) // a reader may hold the old one
	if byEndpoint == nil {
		byEndpoint = map[string]model.Observation{}
	}
	byEndpoint[endpoint] = model.Observation{Vantage: vantage, Endpoint: endpoint, At: at, Result: r}
	b.set.Observations[vantage] = byEndpoint
}

// apply applies cmd to a copy and publishes it, so a reader keeps the
// State it started with; a refused command still moves the index.
func (b *Backend) apply(cmd state.Command) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := b.st.Clone()
	b.index++
	err := next.Apply(b.index, cmd)
	b.st = next
	return err
}

// get reads one of the settings under the double's lock.
func get[T any](b *Backend, read func(*Settings) T) T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return read(&b.set)
}

// State is the agreed state.
func (b *Backend) State() *state.State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

// Config is the configuration the node runs, by the node's own rule.
func (b *Backend) Config() *config.Config {
	b.mu.Lock()
	defer b.mu.Unlock()
	return state.EffectiveConfig(b.local, b.st)
}

// Answers are Settings.Answers.
func (b *Backend) Answers() []model.Answer {
	return get(b, func(s *Settings) []model.Answer { return s.Answers })
}

// ClusterInfo is Settings.Cluster.
func (b *Backend) ClusterInfo() wire.ClusterInfo {
	return get(b, func(s *Settings) wire.ClusterInfo { return s.Cluster })
}

// Readiness is Settings.Reasons.
func (b *Backend) Readiness() []string {
	return get(b, func(s *Settings) []string { return s.Reasons })
}

// Resolution is Settings.Resolution.
func (b *Backend) Resolution() []wire.Resolution {
	return get(b, func(s *Settings) []wire.Resolution { return s.Resolution })
}

// AreaQueries is Settings.AreaQueries.
func (b *Backend) AreaQueries() []wire.AreaQueries {
	return get(b, func(s *Settings) []wire.AreaQueries { return s.AreaQueries })
}

// Zones is Settings.Zones.
func (b *Backend) Zones() []wire.ZoneStatus {
	return get(b, func(s *Settings) []wire.ZoneStatus { return s.Zones })
}

// Info is Settings.Info.
func (b *Backend) Info() wire.NodeInfo {
	return get(b, func(s *Settings) wire.NodeInfo { return s.Info })
}

// Observations are a copy of Settings.Observations.
func (b *Backend) Observations(context.Context) map[string]map[string]model.Observation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]map[string]model.Observation, len(b.set.Observations))
	for v, m := range b.set.Observations {
		out[v] = maps.Clone(m)
	}
	return out
}

// Propose applies cmd, returning the state machine's refusal wrapped as
// the node does, or Settings.Refuse.
func (b *Backend) Propose(_ context.Context, cmd state.Command) error {
	b.mu.Lock()
	refuse := b.set.Refuse
	b.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	if err := b.apply(cmd); err != nil {
		return fmt.Errorf("apitest: proposal refused: %w", err)
	}
	return nil
}

// Now is Settings.Now.
func (b *Backend) Now() time.Time { return get(b, func(s *Settings) time.Time { return s.Now }) }

package statuspage

import (
	"context"
	"strings"
	"time"

	"outlast/internal/api"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// maxEvents is how many of the latest events the timeline shows.
const maxEvents = 50

// snapshot is everything one rendering reads, taken once so that every
// part of the page describes the same moment.
type snapshot struct {
	info    wire.NodeInfo
	state   *state.State
	config  *config.Config
	answers []model.Answer
	cluster wire.ClusterInfo
	obs     map[string]map[string]model.Observation
	// resolution is what this node's resolver holds for target hostnames.
	resolution []wire.Resolution
	// areaQueries count this node's geo queries by client area.
	areaQueries []wire.AreaQueries
	// zones are the zones this node serves, with signing and transfers.
	zones []wire.ZoneStatus
	now   time.Time
}

func take(ctx context.Context, b api.Backend) snapshot {
	s := snapshot{
		info:        b.Info(),
		state:       b.State(),
		config:      b.Config(),
		answers:     b.Answers(),
		cluster:     b.ClusterInfo(),
		obs:         b.Observations(ctx),
		resolution:  b.Resolution(),
		areaQueries: b.AreaQueries(),
		zones:       b.Zones(),
		now:         b.Now(),
	}
	if s.state == nil {
		s.state = state.New()
	}
	return s
}

// services are the agreed services, or this node's own while the cluster
// has agreed on none yet (a node on its own, or one still starting).
func (s snapshot) services() []config.Service {
	if s.state.Config != nil {
		return s.state.Config.Shared.Services
	}
	if s.config != nil {
		return s.config.Services
	}
	return nil
}

// areas are the agreed configuration's client areas, or this node's own
// while the cluster has agreed on none yet.
func (s snapshot) areas() []config.Area {
	if s.state.Config != nil {
		return s.state.Config.Shared.Geo.Areas
	}
	if s.config != nil {
		return s.config.Geo.Areas
	}
	return nil
}

// staleAfter is how many check intervals a view may age before it stops voting.
func (s snapshot) staleAfter() int {
	if s.state.Config != nil && s.state.Config.Shared.Health.StaleAfter > 0 {
		return s.state.Config.Shared.Health.StaleAfter
	}
	if s.config != nil && s.config.Health.StaleAfter > 0 {
		return s.config.Health.StaleAfter
	}
	return 3
}

// view is what the template renders.
type view struct {
	Node      nodeView
	Generated string
	Cluster   clusterView
	Config    configView
	Providers []providerView
	// Primaries are the policy primary services' cards; none without such a service.
	Primaries []primaryView
	// TargetNotes are the summary's lines about stale or unresolved target
	// hostnames; Targets the table of every target this node resolves.
	TargetNotes []targetNote
	Targets     []targetView
	Services    []serviceView
	Answers     []answerView
	// AreaQueries are this node's geo queries by client area.
	AreaQueries []areaQueryView
	// Zones are the zones served; ZoneAlerts the secondaries whose last
	// NOTIFY went unanswered or was rejected.
	Zones      []zoneView
	ZoneAlerts []zoneAlert
	Events     []eventView
	// EventsTotal is how many events the state holds; Events are the latest.
	EventsTotal int
}

type nodeView struct {
	Name, Location, Version, Started string
	Stale                            bool
	LastContact                      string
}

type clusterView struct {
	Role, Leader string
	Term         uint64
	Applied      uint64
	Members      []memberView
}

type memberView struct {
	Name, Location, Address, Suffrage string
	Leader, Self                      bool
}

type configView struct {
	Agreed        bool
	Version       uint64
	Hash, At, Who string
}

func build(s snapshot) view {
	vantages := vantagesOf(s)
	merged := mergeEvidence(s.state, s.obs)
	resolved := resolutionOf(s.resolution)
	v := view{
		Node:        nodeOf(s),
		Generated:   s.now.UTC().Format("2006-01-02 15:04:05 UTC"),
		Cluster:     clusterOf(s),
		Config:      configOf(s),
		Providers:   providers(s),
		Primaries:   primaries(s),
		TargetNotes: targetNotes(s.resolution),
		Targets:     targets(s.now, s.resolution),
		Answers:     answers(s.answers, geoNames(s.services())),
		AreaQueries: areaQueries(s.areaQueries),
		Events:      events(s),
		EventsTotal: len(s.state.Events),
	}
	v.Zones, v.ZoneAlerts = zones(s.now, s.zones)
	for _, svc := range s.services() {
		v.Services = append(v.Services, serviceOf(s, svc, vantages, merged, resolved))
	}
	return v
}

func nodeOf(s snapshot) nodeView {
	n := nodeView{Name: s.info.Name, Location: s.info.Location.String(), Version: s.info.Version, Stale: s.info.Stale}
	if !s.info.Started.IsZero() {
		n.Started = clockTime(s.now, s.info.Started) + " UTC"
	}
	if !s.cluster.LastContact.IsZero() {
		n.LastContact = ago(s.now, s.cluster.LastContact)
	}
	return n
}

func clusterOf(s snapshot) clusterView {
	c := clusterView{Role: strings.ToLower(s.cluster.State), Leader: s.cluster.Leader,
		Term: s.cluster.Term, Applied: s.state.Index}
	for _, m := range api.CompleteCluster(s.cluster, s.state, s.info, s.now).Members {
		c.Members = append(c.Members, memberView{Name: m.Name, Address: m.Address, Location: m.Location.String(),
			Suffrage: strings.ToLower(m.Suffrage), Leader: m.Leader, Self: m.Self})
	}
	return c
}

func configOf(s snapshot) configView {
	if c := s.state.Config; c != nil {
		return configView{Agreed: true, Version: c.Version, Hash: c.Hash, At: clockTime(s.now, c.At) + " UTC", Who: c.Who}
	}
	if s.config != nil {
		return configView{Hash: s.config.Hash}
	}
	return configView{}
}

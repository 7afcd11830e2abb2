package node

import (
	"sync/atomic"
	"time"

	"outlast/internal/config"
	"outlast/internal/health"
	"outlast/internal/model"
)

// ownView is this node's own judgement of every endpoint: its probes alone,
// through the same hysteresis and staleness window as the cluster's engine.
// While the node is in contact with the cluster nothing reads it; once the
// node is cut off it steers by the agreed state less what this view sees
// down (steer.CutOff), so an isolated node stops handing out an address it
// can see is dead. Only the decide loop writes it.
type ownView struct {
	engine *health.Engine
	hash   string                                  // the configuration the engine was built for
	health atomic.Pointer[map[string]model.Health] // published for the answer loop
}

// observe feeds one of this node's own probe results to the view.
func (v *ownView) observe(o model.Observation) {
	if v.engine != nil {
		_ = v.engine.Observe(o) // an endpoint of a configuration just replaced: dropped
	}
}

// evaluate brings the view up to now and reports whether any endpoint's
// own health changed. A new configuration starts a new engine: its
// endpoints are Unknown, which removes nothing, until probes say otherwise.
func (v *ownView) evaluate(cfg *config.Config, now time.Time) bool {
	if v.engine == nil || v.hash != cfg.Hash {
		self := health.Vantage{Name: cfg.Node.Name, Location: cfg.Node.Location}
		engine, err := health.New(health.Options{StaleAfter: cfg.Health.StaleAfter}, endpointSpecs(cfg), []health.Vantage{self})
		if err != nil {
			return false // config.Load validated the specs; the old view stays
		}
		v.engine, v.hash = engine, cfg.Hash
		v.publish()
		return true
	}
	if len(v.engine.Evaluate(now)) == 0 {
		return false
	}
	v.publish()
	return true
}

func (v *ownView) publish() {
	m := v.engine.Health()
	v.health.Store(&m)
}

// of returns this node's own health of an endpoint, Unknown before any.
func (v *ownView) of(endpoint string) model.Health {
	if m := v.health.Load(); m != nil {
		return (*m)[endpoint]
	}
	return model.Unknown
}

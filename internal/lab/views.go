package lab

import (
	"sync"
	"time"

	"outlast/internal/health"
	"outlast/internal/model"
)

// ownViews follows every node's own view of every endpoint: its probe
// results alone, through the same rise/fall hysteresis (health.Hysteresis)
// the node keeps for itself. The node does not publish that view, but every
// probe a lab node runs passes through the lab's network (nodeNet.probe),
// so the lab folds each result in as the node does. The timeline compares
// these views with the agreed verdicts to find the nodes that were outvoted.
type ownViews struct {
	mu      sync.Mutex
	views   map[viewKey]*health.Hysteresis
	stopped map[string]bool
	watch   func(at time.Time, vantage, endpoint string, h model.Health) // the recording timeline, or nil
}

type viewKey struct{ vantage, endpoint string }

func newOwnViews() *ownViews {
	return &ownViews{views: map[viewKey]*health.Hysteresis{}, stopped: map[string]bool{}}
}

// result folds one probe result of a node in.
func (v *ownViews) result(vantage, endpoint string, up bool, fall, rise int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stopped[vantage] {
		return // the node is dying: what it probes now is no vote
	}
	k := viewKey{vantage, endpoint}
	h := v.views[k]
	if h == nil {
		h = &health.Hysteresis{}
		v.views[k] = h
	}
	before := h.State
	h.Add(up, fall, rise)
	if h.State != before && v.watch != nil {
		v.watch(time.Now(), vantage, endpoint, h.State)
	}
}

// start forgets a node's views, as a (re)started node begins its own anew.
func (v *ownViews) start(vantage string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k := range v.views {
		if k.vantage == vantage {
			delete(v.views, k)
		}
	}
	delete(v.stopped, vantage)
}

// stop ends a node's views before it dies: they turn unknown.
func (v *ownViews) stop(vantage string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopped[vantage] = true
	for k, h := range v.views {
		if k.vantage == vantage && h.State != model.Unknown {
			h.State, h.Streak = model.Unknown, 0
			if v.watch != nil {
				v.watch(time.Now(), k.vantage, k.endpoint, model.Unknown)
			}
		}
	}
}

// follow calls watch with every view as it is now, then with every change
// until the returned function is called. watch runs under the views' lock.
func (v *ownViews) follow(watch func(at time.Time, vantage, endpoint string, h model.Health)) (unfollow func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	for k, h := range v.views {
		if h.State != model.Unknown {
			watch(now, k.vantage, k.endpoint, h.State)
		}
	}
	v.watch = watch
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.watch = nil
	}
}

package steer

import (
	"testing"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

func TestCutOffOnlyRemoves(t *testing.T) {
	for _, tc := range []struct {
		agreed, own, want model.Health
	}{
		{model.Up, model.Unknown, model.Up},
		{model.Up, model.Up, model.Up},
		{model.Up, model.Down, model.Down}, // the node sees what the cluster has not agreed yet
		{model.Unknown, model.Down, model.Down},
		{model.Unknown, model.Up, model.Unknown},
		{model.Down, model.Up, model.Down}, // one node's view never undoes the quorum
		{model.Down, model.Unknown, model.Down},
		{model.Down, model.Down, model.Down},
	} {
		got := CutOff(FromMap(map[string]model.Health{"e": tc.agreed}), FromMap(map[string]model.Health{"e": tc.own}))("e")
		if got != tc.want {
			t.Errorf("agreed %s, own %s: got %s, want %s", tc.agreed, tc.own, got, tc.want)
		}
	}
}

// TestCutOffNeverAddsAnEndpoint: whatever a cut-off node's own probes say, a
// healthy answer holds only endpoints the agreed state lets it use, and
// none that its own probes see down. (An all-down answer follows the
// service's when_all_down, as on any node.)
func TestCutOffNeverAddsAnEndpoint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := genService(t)
		agreed, own := genHealth(t, &svc), genHealth(t, &svc)
		a := Answer(&svc, CutOff(FromMap(agreed), FromMap(own)))
		checkNeverEmpty(t, &a)
		if a.Mode != model.ModeHealthy {
			return
		}
		checkOnlyUsable(t, &a, &svc, agreed)
		checkOnlyUsable(t, &a, &svc, own)
	})
}

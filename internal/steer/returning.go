package steer

import (
	"math"
	"time"

	"outlast/internal/balance"
	"outlast/internal/config"
	"outlast/internal/model"
)

// Returns says, for services with return_ramp, when endpoints came back up
// in the agreed state (At gives zero for one that is not returning) and the
// time the answers are built for. The zero value ramps nothing.
type Returns struct {
	Now time.Time
	At  func(endpoint string) time.Time
}

// rampScale turns ramp factors into whole pool weights: a factor of 0.1
// of a weight of 1 is a weight of 10 beside 100.
const rampScale = 100

// rampMinPercent is where a returning endpoint's share starts, as the
// proxy's slow start (and Envoy's) does: enough that the return is seen.
const rampMinPercent = 10

// factor is the share of its full weight the endpoint named gets now, in
// (0, 1].
func (s *steering) factor(endpoint string) float64 {
	if s.ret.At == nil {
		return 1
	}
	return balance.Ramp(s.ret.At(endpoint), s.ret.Now, s.svc.ReturnRamp, 1, rampMinPercent)
}

// fillReturning fills a healthy answer in which an endpoint is still
// returning, and reports whether it did; otherwise the policy's usual
// answer applies. A weighted service scales the returning endpoint's
// weight by its ramp factor. A failover service answers, as weighted
// pools, its preferred endpoints with their ramp factors as weights and
// the endpoints it answered while they were down with the rest, so the
// share of the returning ones grows from 10% to all.
func (s *steering) fillReturning(a *model.Answer, usable []*config.Endpoint) bool {
	if s.svc.ReturnRamp <= 0 || s.ret.At == nil {
		return false
	}
	switch s.svc.Policy {
	case config.PolicyWeighted:
		return s.weightedReturning(a, usable)
	case config.PolicyFailover:
		return s.failoverReturning(a, usable)
	}
	return false
}

func (s *steering) weightedReturning(a *model.Answer, usable []*config.Endpoint) bool {
	pools := s.pools(usable)
	ramping := false
	for i := range pools {
		f := s.factor(pools[i].Endpoint)
		ramping = ramping || f < 1
		pools[i].Weight = scaled(pools[i].Weight, f)
	}
	if ramping {
		a.Pools = pools
	}
	return ramping
}

func (s *steering) failoverReturning(a *model.Answer, usable []*config.Endpoint) bool {
	preferred := lowestPriority(usable)
	var rest []*config.Endpoint
	for _, ep := range usable {
		if ep.Priority != preferred[0].Priority {
			rest = append(rest, ep)
		}
	}
	var pools []model.WeightedPool
	deficit := 0.0
	for _, ep := range preferred {
		f := s.factor(ep.Name)
		deficit += 1 - f
		pools = append(pools, s.pool(ep, scaled(1, f)))
	}
	if deficit == 0 || len(rest) == 0 {
		return false
	}
	next := lowestPriority(rest)
	share := deficit / float64(len(next))
	for _, ep := range next {
		pools = append(pools, s.pool(ep, scaled(1, share)))
	}
	a.Pools = pools
	return true
}

// scaled is weight × factor in rampScale units, at least 1.
func scaled(weight uint32, factor float64) uint32 {
	return uint32(min(math.MaxUint32, max(1, math.Round(float64(weight)*rampScale*factor))))
}

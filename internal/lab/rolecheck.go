package lab

import (
	"context"
	"math"
	"net/netip"
	"sync"
	"time"

	"outlast/internal/lab/measure"
	"outlast/internal/shiftwatch"
)

// checkEvery is how often the role checker samples: issue 17's 50 ms.
const checkEvery = 50 * time.Millisecond

// roleChecker samples, every checkEvery, both role servers' roles, every
// running node's answer for db.example.test, and the roles again
// (measure.PrimaryRound); measure.ComputePrimary judges the rounds.
//
// It reads the roles in-process, where a checker outside would ask the
// database (pg_is_in_recovery()): a frozen server's role is then still
// known, which is how the checker tells the former primary that nobody
// can reach (unfenced, no violation yet) from a second primary that
// answers (a violation).
type roleChecker struct {
	lab   *Lab
	start time.Time
	from  string // the primary when the scenario started
	mu    sync.Mutex
	runs  []measure.PrimaryRound
}

func newRoleChecker(l *Lab, start time.Time) *roleChecker {
	c := &roleChecker{lab: l, start: start}
	for _, s := range l.DB {
		if s.Role() == Primary {
			c.from = s.Name
			break
		}
	}
	return c
}

func (c *roleChecker) run(ctx context.Context) {
	for ctx.Err() == nil {
		began := time.Now()
		c.round(ctx)
		sleep(ctx, checkEvery-time.Since(began))
	}
}

func (c *roleChecker) round(ctx context.Context) {
	round := measure.PrimaryRound{Before: c.roles()}
	for _, n := range c.lab.Nodes {
		if !n.Up() {
			continue
		}
		a := askFrom(ctx, n.DNSAddr(), DBName, netip.Addr{})
		if a.Kind != shiftwatch.Answered {
			continue // no reply in time is no evidence, as in the lab's other polls
		}
		round.Answers = append(round.Answers, measure.NodeAnswer{Node: n.Name, Servers: c.serversAt(a.Addrs)})
	}
	round.After = c.roles()
	round.At = time.Since(c.start).Seconds()
	if ctx.Err() != nil {
		return
	}
	c.mu.Lock()
	c.runs = append(c.runs, round)
	c.mu.Unlock()
}

func (c *roleChecker) roles() []measure.ServerRole {
	var out []measure.ServerRole
	for _, s := range c.lab.DB {
		smp := s.sample()
		out = append(out, measure.ServerRole{Name: s.Name, Role: string(smp.Role), Epoch: smp.Epoch, Frozen: smp.Frozen})
	}
	return out
}

// serversAt names the servers at addrs (an address of no server by itself).
func (c *roleChecker) serversAt(addrs []netip.Addr) []string {
	var out []string
	for _, a := range addrs {
		name := a.String()
		for _, s := range c.lab.DB {
			if s.ip() == name {
				name = s.Name
			}
		}
		out = append(out, name)
	}
	return out
}

// result computes the figures once the checker has stopped.
func (c *roleChecker) result(faultAt, healAt float64) *measure.PrimaryResult {
	in := measure.PrimaryInput{FaultAt: faultAt, HealAt: healAt, From: c.from}
	c.mu.Lock()
	in.Rounds = c.runs
	c.mu.Unlock()
	for _, s := range c.lab.DB {
		for _, ch := range s.Changes() {
			if !ch.At.Before(c.start) {
				in.Changes = append(in.Changes, measure.RoleEvent{At: ch.At.Sub(c.start).Seconds(), Server: s.Name, Role: string(ch.Role), Epoch: ch.Epoch})
			}
		}
	}
	if n := c.lab.anyUp(); n != nil {
		in.Epoch = n.node.State().Primaries[DBName].Epoch
	}
	p := measure.ComputePrimary(in)
	return &p
}

// roundPrimary rounds p's durations to milliseconds, as finish does the others.
func roundPrimary(p *measure.PrimaryResult) {
	for _, f := range []*float64{&p.PromotedS, &p.MovedS, &p.DemotedS, &p.UnfencedS, &p.UnfencedReachableS} {
		*f = math.Round(*f*1000) / 1000
	}
}

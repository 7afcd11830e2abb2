package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// ProtocolHeader names the protocol version the sender speaks
// (Options.Protocol) on every cluster RPC request and reply. A node that
// predates versions sends none: it speaks 1. The routes and their bodies
// are the same in every version so far (/cluster/v1/); what a newer
// version adds travels in the commands, which carry their own version and
// which the leader checks before it proposes them (Checker).
const ProtocolHeader = "Outlast-Protocol"

// Checker is a Machine that can tell, before a command is proposed,
// whether it could apply it. The leader asks before every proposal, its
// own and forwarded ones: a command its Machine does not understand (a
// kind it does not know, of a newer protocol version) is refused with
// ErrRejected and never reaches the log, where it would stop every Machine
// that cannot apply it.
type Checker interface {
	Check(command []byte) error
}

// ErrVersionUnknown: the cluster version could not be decided, because a
// voter did not report its version (unreachable, or no cluster RPC).
var ErrVersionUnknown = errors.New("cluster version unknown")

// protocolOf is a reported protocol version: 0 (not reported, a node from
// before versions) is 1.
func protocolOf(v int) int { return max(v, 1) }

// Version is the protocol version the node behind s speaks.
func (s Status) Version() int { return protocolOf(s.Protocol) }

// ClusterVersion asks every voter for its Status and returns the lowest
// protocol version they speak: the version of the commands every voter can
// apply. Nonvoters are not asked: they do not decide what commits, and a
// nonvoter of an older build stops applying where it cannot follow (its
// Machine halts) without holding the cluster back. If any voter does not
// answer, the version is unknown (ErrVersionUnknown, naming the voter):
// a member that is down may come back of any build.
func (c *Cluster) ClusterVersion(ctx context.Context) (int, error) {
	lowest := c.protocol
	for _, s := range c.raft.GetConfiguration().Configuration().Servers {
		if s.Suffrage != raft.Voter || string(s.ID) == c.id {
			continue
		}
		if c.net == nil {
			return 0, fmt.Errorf("cluster: version of %s: %w: %w", s.ID, ErrVersionUnknown, ErrNoRPC)
		}
		st, err := statusWith(ctx, c.net.client, string(s.Address))
		if err != nil {
			return 0, fmt.Errorf("cluster: version of %s: %w: %w", s.ID, ErrVersionUnknown, err)
		}
		lowest = min(lowest, st.Version())
	}
	return lowest, nil
}

// check refuses, before proposing, a command the Machine could not apply.
func (c *Cluster) check(command []byte) error {
	if ch, ok := c.machine.(Checker); ok {
		if err := ch.Check(command); err != nil {
			return rejection(err)
		}
	}
	return nil
}

// versioned sets ProtocolHeader on every request it carries.
type versioned struct {
	next     http.RoundTripper
	protocol string
}

func (v versioned) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(ProtocolHeader, v.protocol)
	return v.next.RoundTrip(req)
}

// withProtocol sets ProtocolHeader on every reply of h.
func withProtocol(h http.Handler, protocol int) http.Handler {
	value := strconv.Itoa(protocol)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(ProtocolHeader, value)
		h.ServeHTTP(w, r)
	})
}

// versionEvery is how often every node asks the voters for their versions.
const versionEvery = 2 * time.Second

// Stopper is a Machine that can stop applying the log, as the state
// machine does at an entry of a newer protocol version: Stopped says why,
// or returns nil while it applies. The cluster logs it once as an error
// and reports it in Status (ApplyStopped).
type Stopper interface {
	Stopped() error
}

// machineStopped is the Machine's Stopped, or nil.
func (c *Cluster) machineStopped() error {
	if s, ok := c.machine.(Stopper); ok {
		return s.Stopped()
	}
	return nil
}

// KnownVersion is the cluster version as this node last decided it
// (ClusterVersion, every few seconds), or 0 while it is unknown: before the
// first look, or while a voter does not answer.
func (c *Cluster) KnownVersion() int { return int(c.version.Load()) }

// watchVersion decides the cluster version every interval and says so
// when it changes, and says once, loudly, when the Machine stops applying.
func (c *Cluster) watchVersion(interval time.Duration) {
	defer c.wg.Done()
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
			tick.Reset(interval)
		}
		c.noteStopped()
		// Bounded by the interval: Shutdown waits at most that long for it.
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		v, err := c.ClusterVersion(ctx)
		cancel()
		if was := int(c.version.Swap(int32(v))); was != v {
			switch {
			case err != nil:
				c.logger.Warn("cluster: cluster version unknown: commands of versions above 1 wait", "err", err)
			default:
				c.logger.Info("cluster: cluster version", "version", v, "was", was, "speaks", c.protocol)
			}
		}
	}
}

// noteStopped logs the Machine's stop once, when it is first seen.
func (c *Cluster) noteStopped() {
	err := c.machineStopped()
	if was := c.stopped.Swap(err != nil); err != nil && !was {
		c.logger.Error("cluster: this node stopped applying the log: it holds an entry its build does not understand; upgrade it to the build the others run, and it replays the log from its last snapshot",
			"err", err, "speaks", c.protocol)
	}
}

package cluster

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// hashicorp/raft backs off after every failed call that replicates entries
// to a follower, doubling the wait each time up to about ten seconds, and it
// keeps that backoff when the follower's heartbeats resume. A follower cut
// off for twenty seconds or more therefore got the entries it missed, and
// every new verdict, up to ten seconds after its link came back, answering
// older state than the rest meanwhile (the demo found this; docs/demo.md).
//
// patientTransport keeps raft from counting those failures: a replication
// call that cannot reach its follower waits here, dialling again every
// patientRetry, and returns as soon as the follower is reachable. Only a
// failed dial is retried, since then the request surely was not sent.
// Heartbeats, which raft backs off by at most half a heartbeat timeout, and
// every other call pass straight through.
type patientTransport struct {
	*raft.NetworkTransport
	// raft is the node's raft once it runs: a wait ends when this node no
	// longer leads in the request's term, so a deposed leader's request
	// does not linger.
	raft atomic.Pointer[raft.Raft]
	// done is closed before raft shuts down, which waits for its
	// replication goroutines: no wait may outlive it.
	done     chan struct{}
	stopOnce sync.Once
}

const (
	// patientRetry is how often a waiting call dials its follower again.
	patientRetry = 200 * time.Millisecond
	// patientMaxWait bounds one wait; raft then counts one failure, so even
	// an hour-long partition adds only a few to its backoff.
	patientMaxWait = 10 * time.Minute
)

func newPatientTransport(t *raft.NetworkTransport) *patientTransport {
	return &patientTransport{NetworkTransport: t, done: make(chan struct{})}
}

// stopWaiting ends every wait, now and later.
func (t *patientTransport) stopWaiting() { t.stopOnce.Do(func() { close(t.done) }) }

// AppendEntries implements raft.Transport.
func (t *patientTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	err := t.NetworkTransport.AppendEntries(id, target, args, resp)
	if err == nil || isHeartbeat(args) || !errors.As(err, new(*dialError)) {
		return err
	}
	deadline := time.NewTimer(patientMaxWait)
	defer deadline.Stop()
	tick := time.NewTicker(patientRetry)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return err
		case <-deadline.C:
			return err
		case <-tick.C:
		}
		if !t.leads(args.Term) {
			return err
		}
		err = t.NetworkTransport.AppendEntries(id, target, args, resp)
		if err == nil || !errors.As(err, new(*dialError)) {
			return err
		}
	}
}

// leads reports whether this node is still the leader of term.
func (t *patientTransport) leads(term uint64) bool {
	r := t.raft.Load()
	return r == nil || (r.State() == raft.Leader && r.CurrentTerm() == term)
}

// isHeartbeat tells raft's heartbeats, which carry no log position, from
// the calls that replicate the log.
func isHeartbeat(a *raft.AppendEntriesRequest) bool {
	return len(a.Entries) == 0 && a.PrevLogEntry == 0 && a.PrevLogTerm == 0 && a.LeaderCommitIndex == 0
}
